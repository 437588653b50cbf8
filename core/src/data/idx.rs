//! The IDX file format MNIST ships in: a big-endian header (magic number, then one `u32` per
//! dimension) followed by the raw bytes. Files may be gzipped; that is detected from the
//! gzip magic bytes, not from the name.
//!
//! Every byte string gives `Ok` or `Err`, never a panic, and nothing is allocated from the
//! header's counts before the bytes behind them have actually been read.

use std::boxed::Box;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::vec::Vec;

use flate2::read::MultiGzDecoder;

use super::{DataError, Dataset, IdxHeader};

/// Magic number of an IDX file of unsigned bytes in three dimensions (images).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes in one dimension (labels).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;
/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Images read from an IDX file: `count` images of `rows` x `cols` bytes, row-major, one
/// after another in `pixels`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    /// The file they were read from, named in later errors.
    pub path: PathBuf,
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count * rows * cols` bytes.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Converts to samples of `N` values scaled to `[0, 1]` as `v / 255`; fails unless
    /// `rows * cols == N`.
    pub fn to_samples<const N: usize>(&self) -> Result<Vec<[f32; N]>, DataError> {
        if self.rows.checked_mul(self.cols) != Some(N) {
            return Err(DataError::ImageSize {
                path: self.path.clone(),
                rows: self.rows,
                cols: self.cols,
                expected: N,
            });
        }
        if N == 0 {
            return Ok((0..self.count).map(|_| [0.0; N]).collect());
        }
        let samples = self.pixels.chunks_exact(N).map(|image| core::array::from_fn(|i| f32::from(image[i]) / 255.0));
        Ok(samples.collect())
    }
}

/// Reads an IDX image file (magic 0x00000803), plain or gzipped.
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<IdxImages, DataError> {
    let path = path.as_ref();
    parse_idx_images(&read_file(path)?, path)
}

/// Reads an IDX label file (magic 0x00000801), plain or gzipped.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    let path = path.as_ref();
    parse_idx_labels(&read_file(path)?, path)
}

/// Parses the bytes of an IDX image file, plain or gzipped; `path` only names it in errors.
pub fn parse_idx_images(bytes: &[u8], path: &Path) -> Result<IdxImages, DataError> {
    let mut stream = Stream::new(bytes, path);
    let [count, rows, cols] = stream.header::<3>(IDX_IMAGES_MAGIC)?;
    let header = IdxHeader::Images { count, rows, cols };
    let len = u128::from(count) * u128::from(rows) * u128::from(cols);
    let pixels = stream.payload(header, u64::try_from(len).unwrap_or(u64::MAX))?;
    Ok(IdxImages {
        path: path.to_path_buf(),
        count: to_usize(count),
        rows: to_usize(rows),
        cols: to_usize(cols),
        pixels,
    })
}

/// Parses the bytes of an IDX label file, plain or gzipped; `path` only names it in errors.
pub fn parse_idx_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>, DataError> {
    let mut stream = Stream::new(bytes, path);
    let [count] = stream.header::<1>(IDX_LABELS_MAGIC)?;
    stream.payload(IdxHeader::Labels { count }, u64::from(count))
}

impl<const N: usize> Dataset<N> {
    /// Pairs images with labels: checks that the counts agree, that there is at least one
    /// sample, that each image has `N` pixels and that every label is below `classes`.
    /// `labels_path` names the label file in errors.
    pub fn from_idx(images: &IdxImages, labels: &[u8], labels_path: &Path, classes: usize) -> Result<Self, DataError> {
        if images.count != labels.len() {
            return Err(DataError::CountMismatch {
                path: images.path.clone(),
                images: images.count,
                labels: labels.len(),
                labels_path: labels_path.to_path_buf(),
            });
        }
        if images.count == 0 {
            return Err(DataError::Empty { path: images.path.clone() });
        }
        let inputs = images.to_samples::<N>()?;
        if let Some(index) = labels.iter().position(|&label| usize::from(label) >= classes) {
            let label = labels[index];
            return Err(DataError::BadLabel { path: labels_path.to_path_buf(), label, index, classes });
        }
        Ok(Dataset { inputs, targets: labels.iter().map(|&label| usize::from(label)).collect() })
    }

    /// Reads an IDX image file and an IDX label file and pairs them with [`Dataset::from_idx`].
    pub fn from_idx_files(
        images: impl AsRef<Path>,
        labels: impl AsRef<Path>,
        classes: usize,
    ) -> Result<Self, DataError> {
        let images = read_idx_images(images)?;
        let labels_path = labels.as_ref();
        Self::from_idx(&images, &read_idx_labels(labels_path)?, labels_path, classes)
    }
}

/// A header value as `usize`, saturating on targets narrower than 32 bits.
fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// The whole file, with a missing file reported as [`DataError::NotFound`].
fn read_file(path: &Path) -> Result<Vec<u8>, DataError> {
    fs::read(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => DataError::NotFound { path: path.to_path_buf() },
        _ => DataError::Io { path: path.to_path_buf(), source },
    })
}

/// A file's bytes as a stream, decompressed if they start with the gzip magic.
struct Stream<'a> {
    path: &'a Path,
    gzip: bool,
    reader: Box<dyn Read + 'a>,
}

impl<'a> Stream<'a> {
    fn new(bytes: &'a [u8], path: &'a Path) -> Self {
        let gzip = bytes.starts_with(&GZIP_MAGIC);
        let reader: Box<dyn Read + 'a> = if gzip { Box::new(MultiGzDecoder::new(bytes)) } else { Box::new(bytes) };
        Stream { path, gzip, reader }
    }

    /// A read failure: from an in-memory buffer it can only be the decompressor's.
    fn error(path: &Path, gzip: bool, source: io::Error) -> DataError {
        let path = path.to_path_buf();
        if gzip { DataError::Gzip { path, source } } else { DataError::Io { path, source } }
    }

    /// Fills as much of `buf` as the stream holds; returns the bytes read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, DataError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Self::error(self.path, self.gzip, e)),
            }
        }
        Ok(filled)
    }

    /// Reads the magic number, checks it, and reads `D` big-endian dimensions.
    fn header<const D: usize>(&mut self, magic: u32) -> Result<[u32; D], DataError> {
        let needed = 4 + 4 * D;
        let mut word = [0u8; 4];
        let got = self.fill(&mut word)?;
        if got < word.len() {
            return Err(DataError::HeaderTooShort { path: self.path.to_path_buf(), found: got, needed });
        }
        let found = u32::from_be_bytes(word);
        if found != magic {
            return Err(DataError::BadMagic { path: self.path.to_path_buf(), found, expected: magic });
        }
        let mut dims = [0u32; D];
        for (i, dim) in dims.iter_mut().enumerate() {
            let got = self.fill(&mut word)?;
            if got < word.len() {
                let found = 4 + 4 * i + got;
                return Err(DataError::HeaderTooShort { path: self.path.to_path_buf(), found, needed });
            }
            *dim = u32::from_be_bytes(word);
        }
        Ok(dims)
    }

    /// Reads exactly `len` data bytes and checks that nothing follows them. The buffer grows
    /// with the bytes actually read, so a lying header cannot cause a huge allocation.
    fn payload(&mut self, header: IdxHeader, len: u64) -> Result<Vec<u8>, DataError> {
        let mut data = Vec::new();
        let read = (&mut self.reader).take(len).read_to_end(&mut data);
        read.map_err(|e| Self::error(self.path, self.gzip, e))?;
        let found = data.len() as u64;
        if found < len {
            return Err(DataError::Truncated { path: self.path.to_path_buf(), header, expected: len, found });
        }
        // Reading to the end also makes the decompressor verify the gzip checksum.
        let extra = io::copy(&mut self.reader, &mut io::sink()).map_err(|e| Self::error(self.path, self.gzip, e))?;
        if extra > 0 {
            return Err(DataError::TrailingData { path: self.path.to_path_buf(), header, expected: len, extra });
        }
        Ok(data)
    }
}
