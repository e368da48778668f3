//! The request model and its parser: one op object, or a batch `{"ops": [...]}`.

use super::b64;
use super::error::ComputeError;
use super::json::Scanner;
use super::{MAX_ELEMENTS, MAX_OPS};

/// Every operation the service offers, one per kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `"op":"dot"`.
    Dot,
    /// `"op":"sum"`.
    Sum,
    /// `"op":"mean"`.
    Mean,
    /// `"op":"norm_l1"`.
    NormL1,
    /// `"op":"norm_l2"`.
    NormL2,
    /// `"op":"max"`.
    Max,
    /// `"op":"min"`.
    Min,
    /// `"op":"argmax"`.
    Argmax,
    /// `"op":"argmin"`.
    Argmin,
    /// `"op":"add"`.
    Add,
    /// `"op":"sub"`.
    Sub,
    /// `"op":"mul"`.
    Mul,
    /// `"op":"div"`.
    Div,
    /// `"op":"scale"`.
    Scale,
    /// `"op":"axpy"`.
    Axpy,
    /// `"op":"fma"`.
    Fma,
    /// `"op":"clamp"`.
    Clamp,
    /// `"op":"abs"`.
    Abs,
    /// `"op":"cosine"`.
    Cosine,
    /// `"op":"euclidean"`.
    Euclidean,
    /// `"op":"euclidean_sq"`.
    EuclideanSq,
    /// `"op":"relu"`.
    Relu,
    /// `"op":"sigmoid"`.
    Sigmoid,
    /// `"op":"tanh"`.
    Tanh,
    /// `"op":"gelu"`.
    Gelu,
    /// `"op":"exp"`.
    Exp,
    /// `"op":"softmax"`.
    Softmax,
    /// `"op":"matvec"`.
    Matvec,
}

/// Operand fields. Array fields may also be given as `<name>_b64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    A,
    B,
    C,
    X,
    Y,
    M,
    S,
    Alpha,
    Lo,
    Hi,
    Rows,
    Cols,
}

const ARRAY_FIELDS: usize = 6;
const SCALAR_FIELDS: usize = 4;

impl Field {
    const ALL: [Field; 12] = [
        Field::A,
        Field::B,
        Field::C,
        Field::X,
        Field::Y,
        Field::M,
        Field::S,
        Field::Alpha,
        Field::Lo,
        Field::Hi,
        Field::Rows,
        Field::Cols,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::A => "a",
            Field::B => "b",
            Field::C => "c",
            Field::X => "x",
            Field::Y => "y",
            Field::M => "m",
            Field::S => "s",
            Field::Alpha => "alpha",
            Field::Lo => "lo",
            Field::Hi => "hi",
            Field::Rows => "rows",
            Field::Cols => "cols",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

use Field as F;

const fn mask(fields: &[Field]) -> u16 {
    let mut m = 0;
    let mut i = 0;
    while i < fields.len() {
        m |= fields[i].bit();
        i += 1;
    }
    m
}

const AB: u16 = mask(&[F::A, F::B]);
const A: u16 = mask(&[F::A]);

/// Name, op and the exact set of operand fields it takes (all required, no others allowed).
const OPS: [(&str, Op, u16); 28] = [
    ("dot", Op::Dot, AB),
    ("sum", Op::Sum, A),
    ("mean", Op::Mean, A),
    ("norm_l1", Op::NormL1, A),
    ("norm_l2", Op::NormL2, A),
    ("max", Op::Max, A),
    ("min", Op::Min, A),
    ("argmax", Op::Argmax, A),
    ("argmin", Op::Argmin, A),
    ("add", Op::Add, AB),
    ("sub", Op::Sub, AB),
    ("mul", Op::Mul, AB),
    ("div", Op::Div, AB),
    ("scale", Op::Scale, mask(&[F::A, F::S])),
    ("axpy", Op::Axpy, mask(&[F::Alpha, F::X, F::Y])),
    ("fma", Op::Fma, mask(&[F::A, F::B, F::C])),
    ("clamp", Op::Clamp, mask(&[F::A, F::Lo, F::Hi])),
    ("abs", Op::Abs, A),
    ("cosine", Op::Cosine, AB),
    ("euclidean", Op::Euclidean, AB),
    ("euclidean_sq", Op::EuclideanSq, AB),
    ("relu", Op::Relu, A),
    ("sigmoid", Op::Sigmoid, A),
    ("tanh", Op::Tanh, A),
    ("gelu", Op::Gelu, A),
    ("exp", Op::Exp, A),
    ("softmax", Op::Softmax, A),
    ("matvec", Op::Matvec, mask(&[F::M, F::Rows, F::Cols, F::X])),
];

impl Op {
    /// The op's name in a request (`dot`, `softmax`, ...).
    pub fn name(self) -> &'static str {
        OPS.iter()
            .find(|(_, op, _)| *op == self)
            .map_or("?", |(n, _, _)| n)
    }

    fn lookup(name: &str) -> Option<(Op, u16)> {
        OPS.iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, op, m)| (*op, *m))
    }
}

/// How array results are written: JSON numbers, or base64 of little-endian f32s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// JSON arrays of numbers (the default).
    #[default]
    Json,
    /// `"encoding":"b64"`: base64 of little-endian f32s.
    B64,
}

/// The operands of one op, checked to be exactly the ones the op takes.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Args {
    arrays: [Option<Vec<f32>>; ARRAY_FIELDS],
    scalars: [Option<f32>; SCALAR_FIELDS],
    ints: [Option<usize>; 2],
}

impl Args {
    /// Moves an array operand out (empty if absent: `finish` has made sure it is present).
    pub(crate) fn array(&mut self, f: Field) -> Vec<f32> {
        self.arrays
            .get_mut(f as usize)
            .and_then(Option::take)
            .unwrap_or_default()
    }

    pub(crate) fn scalar(&self, f: Field) -> f32 {
        self.scalars
            .get((f as usize).wrapping_sub(ARRAY_FIELDS))
            .copied()
            .flatten()
            .unwrap_or(0.0)
    }

    pub(crate) fn int(&self, f: Field) -> usize {
        self.ints
            .get((f as usize).wrapping_sub(ARRAY_FIELDS + SCALAR_FIELDS))
            .copied()
            .flatten()
            .unwrap_or(0)
    }
}

/// One validated op: the operation, its operands and the encoding of an array result.
#[derive(Debug, Clone, PartialEq)]
pub struct OpRequest {
    /// The operation.
    pub op: Op,
    pub(crate) args: Args,
    /// As given; `None` means the batch's top-level `encoding`, or JSON.
    pub encoding: Option<Encoding>,
}

/// A parsed event.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `{"op": ...}`: its error, if any, is the invocation's error.
    Single(OpRequest),
    /// `{"ops": [...]}`: one entry per op, each valid or with its own error.
    Batch(Vec<Result<OpRequest, ComputeError>>),
}

/// An op object as read, before it is checked against its op.
#[derive(Default)]
struct Raw {
    op: Option<String>,
    encoding: Option<Encoding>,
    present: u16,
    args: Args,
    /// The first field-level problem; the rest of the object is still read so that a batch
    /// can go on with the next op.
    error: Option<ComputeError>,
    ops: Option<Vec<Result<OpRequest, ComputeError>>>,
}

const KNOWN_KEYS: &str =
    "op, ops, encoding, a, b, c, x, y, m (each also as <name>_b64), s, alpha, lo, hi, rows, cols";

/// Parses an event into a [`Request`]. JSON syntax errors and problems of a single op's
/// request are errors; in a batch, each op's problems are kept as that op's result.
pub fn parse(event: &[u8]) -> Result<Request, ComputeError> {
    let mut sc = Scanner::new(event);
    if sc.peek() != Some(b'{') {
        return Err(sc.syntax("expected a JSON object (the request)"));
    }
    let raw = object(&mut sc, true)?;
    sc.end()?;
    if let Some(e) = raw.error {
        return Err(e);
    }
    match raw.ops {
        Some(ops) => {
            if raw.op.is_some() || raw.present != 0 {
                return Err(ComputeError::request(
                    "`ops` (a batch) cannot be combined with `op` or operand fields at the top level",
                ));
            }
            let default = raw.encoding.unwrap_or_default();
            let ops = ops
                .into_iter()
                .map(|r| {
                    r.map(|mut op| {
                        op.encoding.get_or_insert(default);
                        op
                    })
                })
                .collect();
            Ok(Request::Batch(ops))
        }
        None => finish(raw).map(Request::Single),
    }
}

/// Reads one object (cursor on `{`) into a Raw; `top` allows the `ops` key.
fn object(sc: &mut Scanner<'_>, top: bool) -> Result<Raw, ComputeError> {
    let mut raw = Raw::default();
    sc.expect(b'{', "`{`")?;
    if sc.peek() == Some(b'}') {
        sc.pos += 1;
        return Ok(raw);
    }
    loop {
        if sc.peek() != Some(b'"') {
            return Err(sc.syntax("expected a string key"));
        }
        let key = sc.string()?;
        sc.expect(b':', "`:` after object key")?;
        sc.ws();
        let value_start = sc.pos;
        let result = if top && key == "ops" {
            batch(sc).map(|ops| raw.ops = Some(ops))
        } else {
            set_field(&mut raw, &key, sc)
        };
        match result {
            Ok(()) => {}
            Err(e @ ComputeError::Json { .. }) => return Err(e),
            Err(e) => {
                raw.error.get_or_insert(e);
                // Skip the offending value from its start, checking that it is valid JSON.
                sc.pos = value_start;
                sc.skip_value()?;
            }
        }
        match sc.peek() {
            Some(b',') => sc.pos += 1,
            Some(b'}') => {
                sc.pos += 1;
                return Ok(raw);
            }
            _ => return Err(sc.syntax("expected `,` or `}` in object")),
        }
    }
}

fn batch(sc: &mut Scanner<'_>) -> Result<Vec<Result<OpRequest, ComputeError>>, ComputeError> {
    if sc.peek() != Some(b'[') {
        let found = sc.describe();
        return Err(ComputeError::field(
            "ops",
            format!("expected an array of op objects, found {found}"),
        ));
    }
    sc.pos += 1;
    let mut ops = Vec::new();
    if sc.peek() == Some(b']') {
        sc.pos += 1;
        return Ok(ops);
    }
    loop {
        if ops.len() == MAX_OPS {
            return Err(ComputeError::field(
                "ops",
                format!("more than {MAX_OPS} ops (the batch cap)"),
            ));
        }
        let i = ops.len();
        let one = if sc.peek() == Some(b'{') {
            let raw = object(sc, false)?;
            match raw.error {
                Some(e) => Err(e),
                None => finish(raw),
            }
        } else {
            let found = sc.describe();
            sc.skip_value()?;
            Err(ComputeError::request(format!(
                "expected an op object, found {found}"
            )))
        };
        // Name the op in its error so a batch caller can tell which one failed.
        ops.push(one.map_err(|e| in_batch(i, e)));
        match sc.peek() {
            Some(b',') => sc.pos += 1,
            Some(b']') => {
                sc.pos += 1;
                return Ok(ops);
            }
            _ => return Err(sc.syntax("expected `,` or `]` in `ops`")),
        }
    }
}

/// Reads the value of `key` into `raw`.
fn set_field(raw: &mut Raw, key: &str, sc: &mut Scanner<'_>) -> Result<(), ComputeError> {
    match key {
        "op" => {
            if raw.op.is_some() {
                return Err(ComputeError::field("op", "given more than once"));
            }
            raw.op = Some(string_value(sc, "op")?);
            return Ok(());
        }
        "encoding" => {
            if raw.encoding.is_some() {
                return Err(ComputeError::field("encoding", "given more than once"));
            }
            let v = string_value(sc, "encoding")?;
            raw.encoding = Some(match v.as_str() {
                "json" => Encoding::Json,
                "b64" => Encoding::B64,
                _ => {
                    return Err(ComputeError::field(
                        "encoding",
                        format!("unknown encoding {v:?} (expected \"json\" or \"b64\")"),
                    ))
                }
            });
            return Ok(());
        }
        _ => {}
    }
    let (name, is_b64) = match key.strip_suffix("_b64") {
        Some(name) => (name, true),
        None => (key, false),
    };
    let Some(field) = Field::ALL.iter().copied().find(|f| f.name() == name) else {
        return Err(ComputeError::field(
            key,
            format!("unknown field (known: {KNOWN_KEYS})"),
        ));
    };
    let slot = field as usize;
    if is_b64 && slot >= ARRAY_FIELDS {
        return Err(ComputeError::field(
            key,
            "unknown field: only array fields have a _b64 form",
        ));
    }
    if raw.present & field.bit() != 0 {
        return Err(ComputeError::field(
            key,
            format!("`{name}` is given more than once (as JSON or _b64)"),
        ));
    }
    if slot < ARRAY_FIELDS {
        let v = if is_b64 {
            let text = string_value(sc, key)?;
            b64::decode_f32s(text.as_bytes(), MAX_ELEMENTS)
                .map_err(|e| ComputeError::field(key, e.to_string()))?
        } else {
            sc.f32_array(key, MAX_ELEMENTS)?
        };
        raw.args.arrays[slot] = Some(v);
    } else if slot < ARRAY_FIELDS + SCALAR_FIELDS {
        raw.args.scalars[slot - ARRAY_FIELDS] = Some(sc.f32_value(key)?);
    } else {
        raw.args.ints[slot - ARRAY_FIELDS - SCALAR_FIELDS] =
            Some(sc.usize_value(key, MAX_ELEMENTS)?);
    }
    raw.present |= field.bit();
    Ok(())
}

fn string_value(sc: &mut Scanner<'_>, field: &str) -> Result<String, ComputeError> {
    if sc.peek() != Some(b'"') {
        let found = sc.describe();
        return Err(ComputeError::field(
            field,
            format!("expected a string, found {found}"),
        ));
    }
    Ok(sc.string()?.into_owned())
}

/// Checks an op object against its op: known op, exactly its operand fields.
fn finish(raw: Raw) -> Result<OpRequest, ComputeError> {
    let Some(name) = raw.op else {
        return Err(ComputeError::field(
            "op",
            "missing (every request needs an `op` string, or `ops` for a batch)",
        ));
    };
    let Some((op, wanted)) = Op::lookup(&name) else {
        let known: Vec<&str> = OPS.iter().map(|(n, _, _)| *n).collect();
        return Err(ComputeError::field(
            "op",
            format!("unknown op {name:?} (known: {})", known.join(", ")),
        ));
    };
    for f in Field::ALL {
        let (want, have) = (wanted & f.bit() != 0, raw.present & f.bit() != 0);
        if want && !have {
            return Err(ComputeError::field(
                f.name(),
                format!("missing, op `{name}` requires it"),
            ));
        }
        if have && !want {
            return Err(ComputeError::field(
                f.name(),
                format!("not an operand of op `{name}`"),
            ));
        }
    }
    Ok(OpRequest {
        op,
        args: raw.args,
        encoding: raw.encoding,
    })
}

/// Names op `i` of a batch in its error, so the caller can tell which one failed.
pub(crate) fn in_batch(i: usize, e: ComputeError) -> ComputeError {
    match e {
        ComputeError::Field { field, problem } => {
            ComputeError::field(format!("ops[{i}].{field}"), problem)
        }
        ComputeError::Request { problem } => ComputeError::request(format!("ops[{i}]: {problem}")),
        other => other,
    }
}
