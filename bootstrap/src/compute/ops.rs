//! Runs a validated op on the kernels. Every length the kernels would panic on is checked
//! here first, so a request can never panic.

use super::encode;
use super::error::ComputeError;
use super::request::{Args, Field, Op, OpRequest};
use super::MAX_ELEMENTS;
use rayo_kernels::checked as k;

/// The kernels' own shape check, which the checks here make unreachable: kept as an error,
/// never a panic, in case the two ever disagree.
fn shape(e: rayo_kernels::Error) -> ComputeError {
    ComputeError::request(format!("operand shapes rejected by the kernel: {e}"))
}

type Unary = fn(&[f32], &mut [f32]) -> Result<(), rayo_kernels::Error>;
type Binary = fn(&[f32], &[f32], &mut [f32]) -> Result<(), rayo_kernels::Error>;

/// What an op produces.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A reduction's value (`sum`, `dot`, ...).
    Number(f32),
    /// An index (`argmax`, `argmin`).
    Index(usize),
    /// An element-wise result (`add`, `softmax`, `matvec`, ...).
    Array(Vec<f32>),
}

fn same_len(a: &[f32], b: &[f32], fa: Field, fb: Field) -> Result<(), ComputeError> {
    if a.len() != b.len() {
        return Err(ComputeError::field(
            fb.name(),
            format!(
                "length {} differs from the length {} of `{}`",
                b.len(),
                a.len(),
                fa.name()
            ),
        ));
    }
    Ok(())
}

fn non_empty(a: &[f32], op: Op) -> Result<(), ComputeError> {
    if a.is_empty() {
        return Err(ComputeError::field(
            "a",
            format!("is empty; op `{}` needs at least one element", op.name()),
        ));
    }
    Ok(())
}

/// Reads the two same-length operands `a`, `b`.
fn ab(args: &mut Args) -> Result<(Vec<f32>, Vec<f32>), ComputeError> {
    let (a, b) = (args.array(Field::A), args.array(Field::B));
    same_len(&a, &b, Field::A, Field::B)?;
    Ok((a, b))
}

/// An element-wise op of one input into a fresh output.
fn map1(a: &[f32], kernel: Unary) -> Result<Output, ComputeError> {
    let mut out = vec![0.0; a.len()];
    kernel(a, &mut out).map_err(shape)?;
    Ok(Output::Array(out))
}

/// An element-wise op of two same-length inputs into a fresh output.
fn map2(args: &mut Args, kernel: Binary) -> Result<Output, ComputeError> {
    let (a, b) = ab(args)?;
    let mut out = vec![0.0; a.len()];
    kernel(&a, &b, &mut out).map_err(shape)?;
    Ok(Output::Array(out))
}

/// Runs one op.
pub fn run(req: OpRequest) -> Result<Output, ComputeError> {
    let OpRequest { op, mut args, .. } = req;
    let args = &mut args;
    Ok(match op {
        Op::Dot => {
            let (a, b) = ab(args)?;
            Output::Number(k::dot(&a, &b).map_err(shape)?)
        }
        Op::Cosine => {
            let (a, b) = ab(args)?;
            Output::Number(k::cosine(&a, &b).map_err(shape)?)
        }
        Op::Euclidean => {
            let (a, b) = ab(args)?;
            Output::Number(k::euclidean(&a, &b).map_err(shape)?)
        }
        Op::EuclideanSq => {
            let (a, b) = ab(args)?;
            Output::Number(k::euclidean_sq(&a, &b).map_err(shape)?)
        }
        Op::Sum => Output::Number(rayo_kernels::sum(&args.array(Field::A))),
        Op::Mean => Output::Number(rayo_kernels::mean(&args.array(Field::A))),
        Op::NormL1 => Output::Number(rayo_kernels::norm_l1(&args.array(Field::A))),
        Op::NormL2 => Output::Number(rayo_kernels::norm_l2(&args.array(Field::A))),
        Op::Max | Op::Min | Op::Argmax | Op::Argmin => {
            let a = args.array(Field::A);
            non_empty(&a, op)?;
            let missing =
                || ComputeError::field("a", format!("op `{}` found no element", op.name()));
            match op {
                Op::Max => Output::Number(rayo_kernels::max(&a).ok_or_else(missing)?),
                Op::Min => Output::Number(rayo_kernels::min(&a).ok_or_else(missing)?),
                Op::Argmax => Output::Index(rayo_kernels::argmax(&a).ok_or_else(missing)?),
                _ => Output::Index(rayo_kernels::argmin(&a).ok_or_else(missing)?),
            }
        }
        Op::Add => map2(args, k::add)?,
        Op::Sub => map2(args, k::sub)?,
        Op::Mul => map2(args, k::mul)?,
        Op::Div => map2(args, k::div)?,
        Op::Scale => {
            let a = args.array(Field::A);
            let s = args.scalar(Field::S);
            let mut out = vec![0.0; a.len()];
            k::scale(&a, s, &mut out).map_err(shape)?;
            Output::Array(out)
        }
        Op::Axpy => {
            let (x, mut y) = (args.array(Field::X), args.array(Field::Y));
            same_len(&x, &y, Field::X, Field::Y)?;
            k::axpy(args.scalar(Field::Alpha), &x, &mut y).map_err(shape)?;
            Output::Array(y)
        }
        Op::Fma => {
            let (a, b) = ab(args)?;
            let c = args.array(Field::C);
            same_len(&a, &c, Field::A, Field::C)?;
            let mut out = vec![0.0; a.len()];
            k::fma(&a, &b, &c, &mut out).map_err(shape)?;
            Output::Array(out)
        }
        Op::Clamp => {
            let a = args.array(Field::A);
            let (lo, hi) = (args.scalar(Field::Lo), args.scalar(Field::Hi));
            if lo > hi {
                return Err(ComputeError::field(
                    "lo",
                    format!(
                        "{} is greater than `hi` {}",
                        encode::f32_text(lo),
                        encode::f32_text(hi)
                    ),
                ));
            }
            let mut out = vec![0.0; a.len()];
            k::clamp(&a, lo, hi, &mut out).map_err(shape)?;
            Output::Array(out)
        }
        Op::Abs => map1(&args.array(Field::A), k::abs)?,
        Op::Relu => map1(&args.array(Field::A), k::relu)?,
        Op::Sigmoid => map1(&args.array(Field::A), k::sigmoid)?,
        Op::Tanh => map1(&args.array(Field::A), k::tanh)?,
        Op::Gelu => map1(&args.array(Field::A), k::gelu_tanh)?,
        Op::Exp => map1(&args.array(Field::A), k::exp)?,
        Op::Softmax => map1(&args.array(Field::A), k::softmax)?,
        Op::Matvec => {
            let (m, x) = (args.array(Field::M), args.array(Field::X));
            let (rows, cols) = (args.int(Field::Rows), args.int(Field::Cols));
            match rows.checked_mul(cols) {
                Some(n) if n == m.len() => {}
                _ => {
                    return Err(ComputeError::field(
                        "m",
                        format!(
                            "has {} elements, but rows * cols = {rows} * {cols}",
                            m.len()
                        ),
                    ))
                }
            }
            if x.len() != cols {
                return Err(ComputeError::field(
                    "x",
                    format!("length {} differs from cols = {cols}", x.len()),
                ));
            }
            // rows <= MAX_ELEMENTS is enforced by the parser; keep the output bounded anyway.
            if rows > MAX_ELEMENTS {
                return Err(ComputeError::field(
                    "rows",
                    format!("{rows} is larger than the cap {MAX_ELEMENTS}"),
                ));
            }
            let mut out = vec![0.0; rows];
            k::matvec(&m, rows, cols, &x, &mut out).map_err(shape)?;
            Output::Array(out)
        }
    })
}
