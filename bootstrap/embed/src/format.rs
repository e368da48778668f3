//! rayo's weight file, version 1: what the converter writes and the function maps. The
//! specification, field by field, is in README.md ("Weight file"); this module is its only
//! implementation, on both sides.
//!
//! ```text
//! [0, 64)        preamble: magic, version, header length, file length, header checksum,
//!                tensor count
//! [64, 192)      model configuration
//! [192, H)       tensor table: 128 bytes per tensor (name, dtype, layout, shape, offset,
//!                length, checksum)
//! [align64(H), ) tensor data, each tensor 64-byte aligned, little-endian
//! ```
//!
//! [`read_header`] checks everything it can without reading tensor data: bounds, alignment,
//! overlaps (tensors lie in table order), lengths against shapes, known dtypes and layouts, the configuration's ranges and
//! the header checksum. [`verify_data`] checks each tensor's checksum. Which tensors a model
//! needs, with which shapes, is the encoder's part ([`crate::bert`]).

use crate::checksum::checksum;

pub const MAGIC: [u8; 8] = *b"RAYO-WT\0";
/// The one version this build reads and writes. A reader accepts exactly the versions it
/// knows: a new field is a new version, refused with a clear error by an older function
/// rather than misread. A new layout needs none: a reader refuses a layout it does not know,
/// naming the tensor (how builds before the packed panels treat [`Layout::Panels`]).
pub const VERSION: u32 = 1;
/// Alignment of every tensor's offset: a cache line, and any SIMD load's alignment.
pub const ALIGN: usize = 64;
pub const PREAMBLE_LEN: usize = 64;
pub const CONFIG_LEN: usize = 128;
pub const TABLE_START: usize = PREAMBLE_LEN + CONFIG_LEN;
pub const ENTRY_LEN: usize = 128;
pub const NAME_LEN: usize = 64;
pub const MODEL_ID_LEN: usize = 32;
pub const MAX_DIMS: usize = 4;
/// Far more than any BERT needs (all-MiniLM-L6-v2 has 102); bounds the header's size.
pub const MAX_TENSORS: usize = 4096;
/// Offset of the header checksum in the preamble (computed with these 8 bytes zeroed).
const CHECKSUM_AT: usize = 24;

/// `arch` 1: a BERT encoder (post-LayerNorm, exact GELU), mean pooling over the tokens, then
/// optionally L2 normalisation.
pub const ARCH_BERT_MEAN: u32 = 1;

/// Bounds on the configuration: generous for BERT-family encoders, tight enough that no
/// header can ask for absurd work or arithmetic overflow.
pub mod limits {
    pub const LAYERS: usize = 64;
    pub const HIDDEN: usize = 8192;
    pub const HEADS: usize = 256;
    pub const FFN: usize = 65536;
    pub const VOCAB: usize = 1 << 22;
    pub const POSITIONS: usize = 8192;
    pub const TYPE_VOCAB: usize = 16;
}

/// A tensor element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// IEEE binary32, little-endian.
    F32,
    /// IEEE binary16, little-endian.
    F16,
    /// Bytes (the vocabulary).
    U8,
}

impl Dtype {
    pub fn code(self) -> u32 {
        match self {
            Dtype::F32 => 1,
            Dtype::F16 => 2,
            Dtype::U8 => 3,
        }
    }

    pub fn from_code(code: u32) -> Option<Dtype> {
        match code {
            1 => Some(Dtype::F32),
            2 => Some(Dtype::F16),
            3 => Some(Dtype::U8),
            _ => None,
        }
    }

    pub fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F16 => 2,
            Dtype::U8 => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F16 => "f16",
            Dtype::U8 => "u8",
        }
    }
}

/// How a tensor's elements are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Code 0, parameter 0: C order, the last dimension contiguous.
    RowMajor,
    /// Code 1, parameter [`PANEL`]: a Linear weight `[n, k]` (f32 or f16) as the gemm
    /// kernels' packed B (`rayo_kernels::PackedB`, B = Wᵀ): the `n` rows cut into panels of
    /// 16, panel after panel, each holding its 16 rows' element `p` side by side for every
    /// `p < k`; `W[j][p]` at index `(j / 16) * 16k + 16p + j % 16`, rows `n..` of the last
    /// panel zero. Read in place, with no transpose per product.
    Panels,
}

/// Rows of a [`Layout::Panels`] panel (`rayo_kernels::PackedB::PANEL`).
pub const PANEL: usize = 16;

impl Layout {
    pub fn code(self) -> u32 {
        match self {
            Layout::RowMajor => 0,
            Layout::Panels => 1,
        }
    }

    pub fn param(self) -> u32 {
        match self {
            Layout::RowMajor => 0,
            Layout::Panels => PANEL as u32,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Layout::RowMajor => "rowmajor",
            Layout::Panels => "panels16",
        }
    }

    /// The bytes a tensor of `shape` and `dtype` takes in this layout, `None` if the layout
    /// does not apply (panels are 2-dimensional f32 or f16) or the count overflows `u64`.
    pub fn bytes(self, shape: &[usize], dtype: Dtype) -> Option<u64> {
        let elements = match (self, shape) {
            (Layout::RowMajor, _) => shape
                .iter()
                .try_fold(1u64, |n, &d| n.checked_mul(d as u64))?,
            (Layout::Panels, &[n, k]) if dtype != Dtype::U8 => (n.div_ceil(PANEL) as u64)
                .checked_mul(PANEL as u64)?
                .checked_mul(k as u64)?,
            (Layout::Panels, _) => return None,
        };
        elements.checked_mul(dtype.size() as u64)
    }
}

/// Reorders a row-major `[n, k]` matrix of `size`-byte elements into [`Layout::Panels`]
/// (the last panel's missing rows zero).
pub fn to_panels(rows: &[u8], n: usize, k: usize, size: usize) -> Vec<u8> {
    let mut out = vec![0u8; n.div_ceil(PANEL) * PANEL * k * size];
    for j in 0..n {
        for p in 0..k {
            let from = (j * k + p) * size;
            let to = ((j / PANEL) * PANEL * k + p * PANEL + j % PANEL) * size;
            out[to..to + size].copy_from_slice(&rows[from..from + size]);
        }
    }
    out
}

/// The network's shape and the function's sequence cap, from the file's header.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// The name responses carry, e.g. `all-MiniLM-L6-v2` (ASCII, at most 32 bytes).
    pub model_id: String,
    pub layers: usize,
    pub hidden: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    /// Rows of the position-embedding table.
    pub max_positions: usize,
    pub type_vocab: usize,
    /// Tokens per sequence, `[CLS]` and `[SEP]` included (sentence-transformers'
    /// `max_seq_length`); longer inputs are truncated to it.
    pub max_tokens: usize,
    pub layer_norm_eps: f32,
    /// Whether the model's pipeline ends with L2 normalisation (the request's default).
    pub normalize: bool,
}

/// One entry of the tensor table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dtype: Dtype,
    pub layout: Layout,
    pub shape: Vec<usize>,
    /// Byte offset from the start of the file (a multiple of [`ALIGN`]).
    pub offset: usize,
    /// Byte length: the product of `shape` times the element size.
    pub len: usize,
    pub checksum: u64,
}

/// A parsed, structurally valid header.
#[derive(Clone, Debug)]
pub struct Header {
    pub config: ModelConfig,
    pub tensors: Vec<TensorInfo>,
    /// Where the tensor table ends.
    pub header_len: usize,
}

impl Header {
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(off..off + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = b.get(off..off + 8) {
        w.copy_from_slice(s);
    }
    u64::from_le_bytes(w)
}

fn all_zero(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0)
}

/// A NUL-padded ASCII field: printable characters, then only NULs.
fn padded_ascii(field: &[u8], what: &str) -> Result<String, String> {
    let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    let (text, pad) = field.split_at(end);
    if text.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if !text.iter().all(|c| c.is_ascii_graphic()) || !all_zero(pad) {
        return Err(format!(
            "{what} is not printable ASCII padded with NULs: {:?}",
            String::from_utf8_lossy(field)
        ));
    }
    Ok(String::from_utf8_lossy(text).into_owned())
}

pub(crate) fn align_up(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

/// The header checksum: over the whole header (preamble, configuration, table) with the
/// checksum field itself taken as zero.
fn header_checksum(header: &[u8]) -> u64 {
    let mut copy = header.to_vec();
    if let Some(field) = copy.get_mut(CHECKSUM_AT..CHECKSUM_AT + 8) {
        field.fill(0);
    }
    checksum(&copy)
}

/// Parses and checks the header of `file` (the whole file's bytes). Errors are one sentence
/// naming the problem and the values involved.
pub fn read_header(file: &[u8]) -> Result<Header, String> {
    if file.len() < TABLE_START {
        return Err(format!(
            "too short for a rayo weight file: {} bytes (its header alone is at least {TABLE_START})",
            file.len()
        ));
    }
    if file[..8] != MAGIC {
        return Err(format!(
            "not a rayo weight file: it starts with {:02x?}, not the magic bytes \"RAYO-WT\\0\"",
            &file[..8]
        ));
    }
    let version = u32_at(file, 8);
    if version != VERSION {
        return Err(format!(
            "format version {version}; this build reads version {VERSION} only \
             (convert the model again with this build's rayo-convert)"
        ));
    }
    let header_len = u32_at(file, 12) as usize;
    let file_len = u64_at(file, 16);
    let stored_checksum = u64_at(file, CHECKSUM_AT);
    let count = u32_at(file, 32) as usize;
    if file_len != file.len() as u64 {
        return Err(if (file.len() as u64) < file_len {
            format!(
                "truncated: the file has {} bytes, its header says {file_len}",
                file.len()
            )
        } else {
            format!(
                "the file has {} bytes, its header says {file_len}: bytes appended or header corrupt",
                file.len()
            )
        });
    }
    if count > MAX_TENSORS || header_len != TABLE_START + count * ENTRY_LEN {
        return Err(format!(
            "header length {header_len} does not fit a table of {count} tensors \
             ({TABLE_START} + 128 per tensor, at most {MAX_TENSORS} tensors)"
        ));
    }
    if header_len > file.len() {
        return Err(format!(
            "truncated: the header needs {header_len} bytes, the file has {}",
            file.len()
        ));
    }
    let header = &file[..header_len];
    let computed = header_checksum(header);
    if computed != stored_checksum {
        return Err(format!(
            "header checksum mismatch (stored {stored_checksum:016x}, computed {computed:016x}): \
             the header is corrupt"
        ));
    }
    if !all_zero(&header[36..PREAMBLE_LEN]) {
        return Err("reserved preamble bytes 36..64 are not zero".to_string());
    }
    let config = read_config(&header[PREAMBLE_LEN..TABLE_START])?;
    let data_start = align_up(header_len);
    let mut tensors: Vec<TensorInfo> = Vec::with_capacity(count);
    // Tensors lie in the file in table order, so "no two share a byte" is one comparison
    // with the previous end (no sort: its code would cost the bootstrap ~4 KB).
    let mut end = data_start;
    for i in 0..count {
        let at = TABLE_START + i * ENTRY_LEN;
        let t = read_entry(&header[at..at + ENTRY_LEN], i, data_start, file.len())?;
        if tensors.iter().any(|o| o.name == t.name) {
            return Err(format!("tensor {:?} is in the table twice", t.name));
        }
        if t.offset < end {
            let prev = tensors.last().map_or("the header", |p| p.name.as_str());
            return Err(format!(
                "tensor {:?} starts at byte {}, before the end of {prev:?} ({end}): tensors \
                 must not overlap and lie in table order",
                t.name, t.offset
            ));
        }
        end = t.offset + t.len;
        tensors.push(t);
    }
    Ok(Header {
        config,
        tensors,
        header_len,
    })
}

fn read_config(c: &[u8]) -> Result<ModelConfig, String> {
    let model_id = padded_ascii(&c[..MODEL_ID_LEN], "the model id")?;
    let field = |i: usize| u32_at(c, MODEL_ID_LEN + 4 * i) as usize;
    let arch = field(0) as u32;
    if arch != ARCH_BERT_MEAN {
        return Err(format!(
            "architecture code {arch}; this build runs {ARCH_BERT_MEAN} (BERT, mean pooling)"
        ));
    }
    let eps = f32::from_bits(field(10) as u32);
    let normalize = field(11);
    let config = ModelConfig {
        model_id,
        layers: field(1),
        hidden: field(2),
        heads: field(3),
        ffn: field(4),
        vocab: field(5),
        max_positions: field(6),
        type_vocab: field(7),
        max_tokens: field(8),
        layer_norm_eps: eps,
        normalize: normalize == 1,
    };
    if field(9) != 0 || !all_zero(&c[MODEL_ID_LEN + 48..]) {
        return Err("reserved configuration fields are not zero".to_string());
    }
    let ranges = [
        ("layers", config.layers, limits::LAYERS),
        ("hidden", config.hidden, limits::HIDDEN),
        ("heads", config.heads, limits::HEADS),
        ("ffn", config.ffn, limits::FFN),
        ("vocab", config.vocab, limits::VOCAB),
        ("max_positions", config.max_positions, limits::POSITIONS),
        ("type_vocab", config.type_vocab, limits::TYPE_VOCAB),
    ];
    for (name, v, max) in ranges {
        if v == 0 || v > max {
            return Err(format!("configuration {name} = {v}, expected 1 to {max}"));
        }
    }
    if !config.hidden.is_multiple_of(config.heads) {
        return Err(format!(
            "configuration hidden = {} is not a multiple of heads = {}",
            config.hidden, config.heads
        ));
    }
    if config.max_tokens < 2 || config.max_tokens > config.max_positions {
        return Err(format!(
            "configuration max_tokens = {}, expected 2 ([CLS] and [SEP]) to max_positions = {}",
            config.max_tokens, config.max_positions
        ));
    }
    if !(eps.is_finite() && eps > 0.0 && eps < 1.0) {
        return Err(format!(
            "configuration layer_norm_eps = {}, expected a positive number below 1",
            zmij::Buffer::new().format(eps)
        ));
    }
    if normalize > 1 {
        return Err(format!(
            "configuration normalize = {normalize}, expected 0 or 1"
        ));
    }
    Ok(config)
}

fn read_entry(
    e: &[u8],
    index: usize,
    data_start: usize,
    file_len: usize,
) -> Result<TensorInfo, String> {
    let name = padded_ascii(&e[..NAME_LEN], &format!("the name of tensor {index}"))?;
    let bad = |what: String| Err(format!("tensor {name:?}: {what}"));
    let dtype_code = u32_at(e, 64);
    let Some(dtype) = Dtype::from_code(dtype_code) else {
        return bad(format!(
            "dtype code {dtype_code} is not known (1 = f32, 2 = f16, 3 = u8)"
        ));
    };
    let layout_code = u32_at(e, 68);
    let layout_param = u32_at(e, 72);
    let layout = match (layout_code, layout_param) {
        (0, 0) => Layout::RowMajor,
        (1, p) if p as usize == PANEL => Layout::Panels,
        _ => {
            return bad(format!(
                "layout {layout_code} (parameter {layout_param}) is not known to this build \
                 (it knows 0 = rowmajor with parameter 0, 1 = panels with parameter {PANEL})"
            ))
        }
    };
    let ndim = u32_at(e, 76) as usize;
    if ndim == 0 || ndim > MAX_DIMS {
        return bad(format!("{ndim} dimensions, expected 1 to {MAX_DIMS}"));
    }
    let dims: Vec<usize> = (0..MAX_DIMS)
        .map(|d| u32_at(e, 80 + 4 * d) as usize)
        .collect();
    let (shape, unused) = dims.split_at(ndim);
    if shape.contains(&0) || !all_zero(&e[80 + 4 * ndim..96]) || !unused.iter().all(|&d| d == 0) {
        return bad(format!(
            "shape {dims:?} with {ndim} dimensions: every used dimension must be at least 1 \
             and the unused ones 0"
        ));
    }
    let offset = u64_at(e, 96);
    let len = u64_at(e, 104);
    let checksum = u64_at(e, 112);
    if !all_zero(&e[120..ENTRY_LEN]) {
        return bad("reserved bytes 120..128 are not zero".to_string());
    }
    if layout == Layout::Panels && (ndim != 2 || dtype == Dtype::U8) {
        return bad(format!(
            "layout panels16 holds 2-dimensional f32 or f16 matrices, not shape {shape:?} of {}",
            dtype.name()
        ));
    }
    let bytes = layout.bytes(shape, dtype);
    if bytes != Some(len) {
        return bad(format!(
            "length {len} bytes, but shape {shape:?} of {} in layout {} is {} bytes",
            dtype.name(),
            layout.name(),
            bytes.map_or("more than 2^64".to_string(), |n| n.to_string())
        ));
    }
    if !offset.is_multiple_of(ALIGN as u64) || offset < data_start as u64 {
        return bad(format!(
            "offset {offset} is not 64-byte aligned at or after the header's end ({data_start})"
        ));
    }
    match offset.checked_add(len) {
        Some(end) if end <= file_len as u64 => {}
        _ => {
            return bad(format!(
                "bytes {offset}..{} run past the end of the file ({file_len} bytes): truncated",
                offset as u128 + len as u128
            ))
        }
    }
    Ok(TensorInfo {
        name,
        dtype,
        layout,
        shape: shape.to_vec(),
        offset: offset as usize,
        len: len as usize,
        checksum,
    })
}

/// Checks each tensor's checksum against its bytes in `file`.
pub fn verify_data(header: &Header, file: &[u8]) -> Result<(), String> {
    for t in &header.tensors {
        // read_header checked the range against the file's length.
        let Some(bytes) = file.get(t.offset..t.offset + t.len) else {
            return Err(format!("tensor {:?} is outside the file", t.name));
        };
        let got = checksum(bytes);
        if got != t.checksum {
            return Err(format!(
                "tensor {:?} checksum mismatch (stored {:016x}, computed {got:016x}): \
                 its bytes {}..{} are corrupt",
                t.name,
                t.checksum,
                t.offset,
                t.offset + t.len
            ));
        }
    }
    Ok(())
}

/// Recomputes the checksums of a (possibly damaged) file in place, wherever its fields
/// point inside it: lets a fuzzer's mutations reach the checks behind the checksums.
#[doc(hidden)]
pub fn reseal(file: &mut [u8]) {
    if file.len() < TABLE_START {
        return;
    }
    let count = (u32_at(file, 32) as usize).min(MAX_TENSORS);
    for i in 0..count {
        let e = TABLE_START + i * ENTRY_LEN;
        if e + ENTRY_LEN > file.len() {
            break;
        }
        let (off, len) = (u64_at(file, e + 96), u64_at(file, e + 104));
        let range = usize::try_from(off)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(o, l)| Some(o..o.checked_add(l)?))
            .filter(|r| r.end <= file.len());
        if let Some(r) = range {
            let sum = checksum(&file[r]);
            file[e + 112..e + 120].copy_from_slice(&sum.to_le_bytes());
        }
    }
    let len = (u32_at(file, 12) as usize).min(file.len());
    let sum = header_checksum(&file[..len]);
    file[CHECKSUM_AT..CHECKSUM_AT + 8].copy_from_slice(&sum.to_le_bytes());
}

/// A tensor to write: its bytes already in the file's little-endian encoding.
pub struct TensorData {
    pub name: String,
    pub dtype: Dtype,
    pub layout: Layout,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

/// Serialises a weight file: the header, then each tensor at the next 64-byte boundary, in
/// the order given. Deterministic: the same input gives the same bytes.
pub fn write(config: &ModelConfig, tensors: &[TensorData]) -> Result<Vec<u8>, String> {
    if tensors.len() > MAX_TENSORS {
        return Err(format!("{} tensors, at most {MAX_TENSORS}", tensors.len()));
    }
    let header_len = TABLE_START + tensors.len() * ENTRY_LEN;
    let mut offsets = Vec::with_capacity(tensors.len());
    let mut end = align_up(header_len);
    for t in tensors {
        let want = t.layout.bytes(&t.shape, t.dtype);
        if want != Some(t.data.len() as u64) || t.shape.is_empty() || t.shape.len() > MAX_DIMS {
            return Err(format!(
                "tensor {:?}: {} bytes for shape {:?} of {} in layout {}",
                t.name,
                t.data.len(),
                t.shape,
                t.dtype.name(),
                t.layout.name()
            ));
        }
        if t.name.is_empty()
            || t.name.len() > NAME_LEN
            || !t.name.bytes().all(|c| c.is_ascii_graphic())
        {
            return Err(format!(
                "tensor name {:?}: 1 to 64 printable ASCII bytes",
                t.name
            ));
        }
        end = align_up(end);
        offsets.push(end);
        end += t.data.len();
    }
    if config.model_id.is_empty()
        || config.model_id.len() > MODEL_ID_LEN
        || !config.model_id.bytes().all(|c| c.is_ascii_graphic())
    {
        return Err(format!(
            "model id {:?}: 1 to 32 printable ASCII bytes",
            config.model_id
        ));
    }
    let mut out = vec![0u8; end];
    let put32 =
        |out: &mut [u8], at: usize, v: u32| out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put64 =
        |out: &mut [u8], at: usize, v: u64| out[at..at + 8].copy_from_slice(&v.to_le_bytes());
    out[..8].copy_from_slice(&MAGIC);
    put32(&mut out, 8, VERSION);
    put32(&mut out, 12, header_len as u32);
    put64(&mut out, 16, end as u64);
    put32(&mut out, 32, tensors.len() as u32);
    let c = PREAMBLE_LEN;
    out[c..c + config.model_id.len()].copy_from_slice(config.model_id.as_bytes());
    let fields = [
        ARCH_BERT_MEAN,
        config.layers as u32,
        config.hidden as u32,
        config.heads as u32,
        config.ffn as u32,
        config.vocab as u32,
        config.max_positions as u32,
        config.type_vocab as u32,
        config.max_tokens as u32,
        0,
        config.layer_norm_eps.to_bits(),
        u32::from(config.normalize),
    ];
    for (i, v) in fields.into_iter().enumerate() {
        put32(&mut out, c + MODEL_ID_LEN + 4 * i, v);
    }
    for (i, (t, &offset)) in tensors.iter().zip(&offsets).enumerate() {
        let e = TABLE_START + i * ENTRY_LEN;
        out[e..e + t.name.len()].copy_from_slice(t.name.as_bytes());
        put32(&mut out, e + 64, t.dtype.code());
        put32(&mut out, e + 68, t.layout.code());
        put32(&mut out, e + 72, t.layout.param());
        put32(&mut out, e + 76, t.shape.len() as u32);
        for (d, &n) in t.shape.iter().enumerate() {
            put32(&mut out, e + 80 + 4 * d, n as u32);
        }
        put64(&mut out, e + 96, offset as u64);
        put64(&mut out, e + 104, t.data.len() as u64);
        put64(&mut out, e + 112, checksum(&t.data));
        out[offset..offset + t.data.len()].copy_from_slice(&t.data);
    }
    let sum = header_checksum(&out[..header_len]);
    put64(&mut out, CHECKSUM_AT, sum);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ModelConfig {
        ModelConfig {
            model_id: "tiny".into(),
            layers: 1,
            hidden: 4,
            heads: 2,
            ffn: 8,
            vocab: 10,
            max_positions: 16,
            type_vocab: 2,
            max_tokens: 8,
            layer_norm_eps: 1e-12,
            normalize: true,
        }
    }

    fn file() -> Vec<u8> {
        let t = |name: &str, dtype, layout: Layout, shape: Vec<usize>| {
            let n = layout.bytes(&shape, dtype).unwrap();
            TensorData {
                name: name.into(),
                dtype,
                layout,
                shape,
                data: (0..n).map(|i| i as u8).collect(),
            }
        };
        write(
            &config(),
            &[
                t("a", Dtype::F32, Layout::RowMajor, vec![3]),
                t("b", Dtype::F16, Layout::RowMajor, vec![2, 5]),
                t("c", Dtype::U8, Layout::RowMajor, vec![7]),
                t("d", Dtype::F16, Layout::Panels, vec![3, 2]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn writes_then_reads_back() {
        let f = file();
        let h = read_header(&f).unwrap();
        verify_data(&h, &f).unwrap();
        assert_eq!(h.config, config());
        let names: Vec<_> = h.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        for t in &h.tensors {
            assert_eq!(t.offset % ALIGN, 0);
        }
        let b = h.tensor("b").unwrap();
        assert_eq!(
            (b.dtype, b.shape.clone(), b.len),
            (Dtype::F16, vec![2, 5], 20)
        );
        assert_eq!(&f[b.offset..b.offset + 3], &[0, 1, 2]);
        // 3 rows padded to one panel of 16, 2 columns, 2 bytes each.
        let d = h.tensor("d").unwrap();
        assert_eq!(
            (d.layout, d.shape.clone(), d.len),
            (Layout::Panels, vec![3, 2], 64)
        );
        assert_eq!(file(), f, "deterministic");
    }

    fn err(f: &[u8]) -> String {
        read_header(f).map(|_| ()).unwrap_err()
    }

    #[test]
    fn refuses_wrong_magic_version_and_truncation() {
        let f = file();
        assert!(err(&f[..100]).contains("too short"), "{}", err(&f[..100]));
        let mut g = f.clone();
        g[0] = b'X';
        assert!(err(&g).contains("not a rayo weight file"));
        let mut g = f.clone();
        g[8] = 2;
        assert!(
            err(&g).contains("format version 2; this build reads version 1"),
            "{}",
            err(&g)
        );
        assert!(
            err(&f[..f.len() - 1]).contains("truncated"),
            "{}",
            err(&f[..f.len() - 1])
        );
        let mut g = f.clone();
        g.push(0);
        assert!(err(&g).contains("bytes appended"));
    }

    /// The panels are the kernels' packed B of the weight's transpose, byte for byte.
    #[test]
    fn panels_are_the_kernels_packed_b() {
        for (n, k) in [(3, 2), (16, 5), (40, 7), (1, 1)] {
            let w: Vec<u16> = (0..n * k)
                .map(|i| (i as u16).wrapping_mul(40503) | 1)
                .collect();
            let rows: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
            let ours = to_panels(&rows, n, k, 2);
            let len = rayo_kernels::PackedB::len(k, n).unwrap();
            let mut buf = vec![0u16; len + 31];
            let out = &mut rayo_kernels::PackedB::aligned_mut(&mut buf)[..len];
            let packed = rayo_kernels::PackedB::pack(
                rayo_kernels::Mat::new(&w, n, k),
                rayo_kernels::Layout::NxK,
                out,
            )
            .unwrap();
            let theirs: Vec<u8> = packed
                .as_f16()
                .unwrap()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            assert_eq!(ours, theirs, "n {n} k {k}");
            assert_eq!(
                Some(ours.len() as u64),
                Layout::Panels.bytes(&[n, k], Dtype::F16)
            );
        }
    }

    #[test]
    fn header_checksum_catches_a_flipped_bit_anywhere_in_the_header() {
        let f = file();
        let len = u32_at(&f, 12) as usize;
        for i in 36..len {
            let mut g = f.clone();
            g[i] ^= 0x10;
            assert!(
                err(&g).contains("header checksum mismatch"),
                "byte {i}: {}",
                err(&g)
            );
        }
    }

    #[test]
    fn data_checksums_catch_a_flipped_bit_in_any_tensor() {
        let f = file();
        let h = read_header(&f).unwrap();
        for t in &h.tensors {
            let mut g = f.clone();
            g[t.offset + t.len - 1] ^= 1;
            let e = verify_data(&h, &g).unwrap_err();
            assert!(
                e.contains(&format!("tensor {:?} checksum mismatch", t.name)),
                "{e}"
            );
        }
    }

    #[test]
    fn table_checks_name_the_tensor_and_the_values() {
        let f = file();
        let e0 = TABLE_START;
        let edit = |at: usize, bytes: &[u8]| {
            let mut g = f.clone();
            g[at..at + bytes.len()].copy_from_slice(bytes);
            reseal(&mut g);
            err(&g)
        };
        assert!(edit(e0 + 64, &9u32.to_le_bytes()).contains("dtype code 9"));
        assert!(edit(e0 + 68, &1u32.to_le_bytes()).contains("layout 1 (parameter 0)"));
        // Panels of a vector, and of a matrix with a panel width the kernels do not use.
        let mut panels = 1u32.to_le_bytes().to_vec();
        panels.extend_from_slice(&16u32.to_le_bytes());
        let e = edit(e0 + 68, &panels);
        assert!(
            e.contains("holds 2-dimensional f32 or f16 matrices, not shape [3]"),
            "{e}"
        );
        let d = e0 + 3 * ENTRY_LEN;
        let e = edit(d + 72, &8u32.to_le_bytes());
        assert!(e.contains("layout 1 (parameter 8) is not known"), "{e}");
        // A row-major length where the panels' is due.
        let e = edit(d + 104, &12u64.to_le_bytes());
        assert!(
            e.contains("length 12 bytes, but shape [3, 2] of f16 in layout panels16 is 64"),
            "{e}"
        );
        assert!(edit(e0 + 76, &0u32.to_le_bytes()).contains("0 dimensions"));
        assert!(edit(e0 + 80, &4u32.to_le_bytes()).contains("length 12 bytes, but shape [4]"));
        assert!(edit(e0 + 96, &65u64.to_le_bytes()).contains("not 64-byte aligned"));
        assert!(edit(e0 + 96, &(1u64 << 40).to_le_bytes()).contains("past the end"));
        // Tensor b moved onto a.
        let a_off = u64_at(&f, e0 + 96);
        let e = edit(e0 + ENTRY_LEN + 96, &a_off.to_le_bytes());
        assert!(
            e.contains("overlap") && e.contains("before the end of \"a\""),
            "{e}"
        );
        let e = edit(e0 + ENTRY_LEN, b"a\0");
        assert!(e.contains("twice"), "{e}");
        let e = edit(e0, b"\x01");
        assert!(e.contains("not printable ASCII"), "{e}");
        // Configuration.
        let c = PREAMBLE_LEN + MODEL_ID_LEN;
        assert!(edit(c, &2u32.to_le_bytes()).contains("architecture code 2"));
        assert!(edit(c + 12, &3u32.to_le_bytes()).contains("not a multiple of heads"));
        assert!(edit(c + 32, &17u32.to_le_bytes()).contains("max_tokens = 17"));
        assert!(edit(c + 40, &f32::NAN.to_bits().to_le_bytes()).contains("layer_norm_eps"));
        assert!(edit(c + 4, &0u32.to_le_bytes()).contains("layers = 0"));
    }
}
