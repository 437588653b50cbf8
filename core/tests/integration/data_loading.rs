//! Loading the bundled MNIST subset, and the error for each kind of broken IDX file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::Compression;
use flate2::write::GzEncoder;
use staticnet_core::data::{
    DataError, Dataset, IdxHeader, Mnist, parse_idx_images, parse_idx_labels, read_idx_images, read_idx_labels,
};

fn mnist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist")
}

/// A fresh, empty directory under the system temp dir, unique per test.
fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("staticnet-data-{}-{name}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn images_bytes(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0803, count, rows, cols] {
        bytes.extend_from_slice(&u32::to_be_bytes(word));
    }
    bytes.extend_from_slice(pixels);
    bytes
}

fn labels_bytes(labels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0801, labels.len() as u32] {
        bytes.extend_from_slice(&u32::to_be_bytes(word));
    }
    bytes.extend_from_slice(labels);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A directory holding a valid, tiny MNIST (`n` train and test images of 28x28), gzipped.
fn tiny_mnist(name: &str, n: u8) -> PathBuf {
    let dir = temp_dir(name);
    let pixels: Vec<u8> = (0..usize::from(n) * 784).map(|i| (i % 256) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| i % 10).collect();
    for prefix in ["train", "t10k"] {
        let images = gzip(&images_bytes(u32::from(n), 28, 28, &pixels));
        fs::write(dir.join(format!("{prefix}-images-idx3-ubyte.gz")), images).unwrap();
        fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte.gz")), gzip(&labels_bytes(&labels))).unwrap();
    }
    dir
}

/// Checks that the message is one line and names the file.
fn assert_names(error: &DataError, file: &str) {
    let message = error.to_string();
    assert!(!message.contains('\n'), "{message}");
    assert!(message.contains(file), "{message:?} should name {file}");
    assert!(error.path().to_string_lossy().contains(file));
}

#[test]
fn bundled_mnist_loads() {
    let mnist = Mnist::load(mnist_dir()).unwrap();
    assert_eq!(mnist.train.len(), 7500);
    assert_eq!(mnist.test.len(), 1500);
    for set in [&mnist.train, &mnist.test] {
        assert_eq!(set.inputs.len(), set.targets.len());
        assert!(set.targets.iter().all(|&label| label < 10));
        let pixels = set.inputs.iter().flatten();
        assert!(pixels.clone().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(pixels.clone().any(|&v| v == 1.0), "255 should scale to exactly 1");
        assert!(pixels.clone().any(|&v| v == 0.0));
        let mut seen = [false; 10];
        set.targets.iter().for_each(|&label| seen[label] = true);
        assert_eq!(seen, [true; 10], "every digit occurs");
    }
}

#[test]
fn plain_files_are_read_too() {
    let dir = temp_dir("plain");
    fs::write(dir.join("img"), images_bytes(2, 1, 2, &[0, 255, 51, 102])).unwrap();
    fs::write(dir.join("lab"), labels_bytes(&[3, 7])).unwrap();
    let images = read_idx_images(dir.join("img")).unwrap();
    assert_eq!((images.count, images.rows, images.cols), (2, 1, 2));
    assert_eq!(images.to_samples::<2>().unwrap(), vec![[0.0, 1.0], [0.2, 0.4]]);
    assert_eq!(read_idx_labels(dir.join("lab")).unwrap(), vec![3, 7]);
    let set = Dataset::<2>::from_idx_files(dir.join("img"), dir.join("lab"), 10).unwrap();
    assert_eq!(set.targets, vec![3, 7]);
    let error = images.to_samples::<3>().unwrap_err();
    assert!(matches!(error, DataError::ImageSize { rows: 1, cols: 2, expected: 3, .. }));
    assert_names(&error, "img");
}

#[test]
fn plain_name_wins_over_gz() {
    let dir = tiny_mnist("plain-first", 3);
    // A broken plain file next to the good .gz one: the plain name is tried first.
    fs::write(dir.join("t10k-labels-idx1-ubyte"), b"ju").unwrap();
    let error = Mnist::load(&dir).unwrap_err();
    assert!(matches!(error, DataError::HeaderTooShort { found: 2, needed: 8, .. }), "{error}");
    assert_names(&error, "t10k-labels-idx1-ubyte");
}

#[test]
fn truncated_images() {
    let dir = tiny_mnist("truncated", 3);
    let mut bytes = images_bytes(3, 28, 28, &[7; 3 * 784]);
    bytes.truncate(16 + 1234);
    fs::write(dir.join("train-images-idx3-ubyte.gz"), gzip(&bytes)).unwrap();
    let error = Mnist::load(&dir).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::Truncated {
                header: IdxHeader::Images { count: 3, rows: 28, cols: 28 },
                expected: 2352,
                found: 1234,
                ..
            }
        ),
        "{error}"
    );
    assert_names(&error, "train-images-idx3-ubyte.gz");
    assert!(
        error.to_string().ends_with("truncated: header says 3 images of 28x28 (2352 bytes) but the file holds 1234")
    );
}

#[test]
fn wrong_magic() {
    let dir = tiny_mnist("magic", 3);
    // A label file where the images should be.
    fs::write(dir.join("train-images-idx3-ubyte"), labels_bytes(&[1, 2, 3])).unwrap();
    let error = Mnist::load(&dir).unwrap_err();
    assert!(matches!(error, DataError::BadMagic { found: 0x801, expected: 0x803, .. }), "{error}");
    assert_names(&error, "train-images-idx3-ubyte");
    assert!(error.to_string().contains("bad magic number 0x00000801, expected 0x00000803 (IDX u8 images)"));
}

#[test]
fn corrupt_gzip() {
    let dir = tiny_mnist("gzip", 3);
    let mut bytes = gzip(&images_bytes(3, 28, 28, &[9; 3 * 784]));
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 8] {
        *byte ^= 0x5a;
    }
    fs::write(dir.join("t10k-images-idx3-ubyte.gz"), bytes).unwrap();
    let error = Mnist::load(&dir).unwrap_err();
    assert!(matches!(error, DataError::Gzip { .. }), "{error}");
    assert_names(&error, "t10k-images-idx3-ubyte.gz");
    assert!(error.to_string().contains("gzip stream is corrupt: "));
}

#[test]
fn gzip_checksum_is_verified() {
    let mut bytes = gzip(&labels_bytes(&[1, 2, 3]));
    let crc = bytes.len() - 8;
    bytes[crc] ^= 1;
    let error = parse_idx_labels(&bytes, Path::new("labels.gz")).unwrap_err();
    assert!(matches!(error, DataError::Gzip { .. }), "{error}");
}

#[test]
fn count_mismatch() {
    let dir = tiny_mnist("count", 3);
    fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), gzip(&labels_bytes(&[1, 2]))).unwrap();
    let error = Mnist::load(&dir).unwrap_err();
    assert!(matches!(error, DataError::CountMismatch { images: 3, labels: 2, .. }), "{error}");
    assert_names(&error, "t10k-images-idx3-ubyte.gz");
    assert!(error.to_string().ends_with("3 images but 2 labels (in t10k-labels-idx1-ubyte.gz)"));
}

#[test]
fn missing_file() {
    let dir = tiny_mnist("missing", 3);
    fs::remove_file(dir.join("train-labels-idx1-ubyte.gz")).unwrap();
    let error = Mnist::load(&dir).unwrap_err();
    assert!(matches!(error, DataError::NotFound { .. }), "{error}");
    assert_eq!(error.path(), dir.join("train-labels-idx1-ubyte"));
    assert!(error.to_string().ends_with("train-labels-idx1-ubyte: not found"));
    let error = read_idx_images(dir.join("nope")).unwrap_err();
    assert!(matches!(error, DataError::NotFound { .. }));
    assert_names(&error, "nope");
}

#[test]
fn empty_data_set() {
    let dir = tiny_mnist("empty", 0);
    let error = Mnist::load(&dir).unwrap_err();
    assert!(matches!(error, DataError::Empty { .. }), "{error}");
    assert_names(&error, "train-images-idx3-ubyte.gz");
    assert!(error.to_string().ends_with(": empty data set"));
}

#[test]
fn label_out_of_range() {
    let dir = tiny_mnist("label", 6);
    fs::write(dir.join("train-labels-idx1-ubyte"), labels_bytes(&[0, 1, 2, 3, 4, 12])).unwrap();
    let error = Mnist::load(&dir).unwrap_err();
    assert!(matches!(error, DataError::BadLabel { label: 12, index: 5, classes: 10, .. }), "{error}");
    assert_names(&error, "train-labels-idx1-ubyte");
    assert!(error.to_string().ends_with("label 12 at index 5 is not a digit 0-9"));
}

#[test]
fn trailing_bytes_and_short_headers() {
    let path = Path::new("x");
    let error = parse_idx_labels(&[labels_bytes(&[1, 2]), vec![0; 5]].concat(), path).unwrap_err();
    assert!(matches!(error, DataError::TrailingData { expected: 2, extra: 5, .. }), "{error}");
    let error = parse_idx_images(&images_bytes(1, 2, 2, &[0; 4])[..10], path).unwrap_err();
    assert!(matches!(error, DataError::HeaderTooShort { found: 10, needed: 16, .. }), "{error}");
    let error = parse_idx_images(&[], path).unwrap_err();
    assert!(matches!(error, DataError::HeaderTooShort { found: 0, .. }), "{error}");
    let error = parse_idx_images(&[0x1f, 0x8b], path).unwrap_err();
    assert!(matches!(error, DataError::Gzip { .. }), "{error}");
}

#[test]
fn huge_header_counts_do_not_allocate() {
    let path = Path::new("huge");
    let bytes = images_bytes(u32::MAX, u32::MAX, u32::MAX, &[1, 2, 3]);
    let error = parse_idx_images(&bytes, path).unwrap_err();
    assert!(matches!(error, DataError::Truncated { found: 3, .. }), "{error}");
    let error = parse_idx_images(&gzip(&bytes), path).unwrap_err();
    assert!(matches!(error, DataError::Truncated { found: 3, .. }), "{error}");
    let error = parse_idx_labels(&labels_bytes(&[])[..4].iter().chain(&[0xff; 4]).copied().collect::<Vec<_>>(), path)
        .unwrap_err();
    assert!(matches!(error, DataError::Truncated { expected: 0xffff_ffff, found: 0, .. }), "{error}");
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic fuzz over mutations of valid plain and gzipped files.
    let valid = [
        images_bytes(2, 2, 2, &[1, 2, 3, 4, 5, 6, 7, 8]),
        labels_bytes(&[1, 2, 3]),
        gzip(&images_bytes(2, 2, 2, &[1, 2, 3, 4, 5, 6, 7, 8])),
        gzip(&labels_bytes(&[1, 2, 3])),
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let path = Path::new("fuzz");
    for round in 0..4000 {
        let mut bytes = valid[round % valid.len()].clone();
        match next() % 3 {
            0 => bytes.truncate(next() as usize % (bytes.len() + 1)),
            1 => {
                for _ in 0..1 + next() % 4 {
                    let at = next() as usize % bytes.len();
                    bytes[at] = next() as u8;
                }
            }
            _ => bytes.extend((0..next() % 8).map(|_| next() as u8)),
        }
        if let Ok(images) = parse_idx_images(&bytes, path) {
            let _ = images.to_samples::<4>();
        }
        let _ = parse_idx_labels(&bytes, path);
    }
}

#[test]
fn batches_and_shuffle() {
    let mut set =
        Dataset::<2> { inputs: (0..10).map(|i| [i as f32, -(i as f32)]).collect(), targets: (0..10).collect() };
    let sizes: Vec<usize> = set.batches(4).unwrap().map(|(inputs, labels)| (inputs.len() + labels.len()) / 2).collect();
    assert_eq!(sizes, vec![4, 4, 2]);
    assert_eq!(set.batches(4).unwrap().len(), 3);

    let mut other = set.clone();
    set.shuffle(7);
    other.shuffle(7);
    assert_eq!(set, other, "same seed, same order");
    assert_ne!(set.targets, (0..10).collect::<Vec<_>>());
    for (input, &label) in set.inputs.iter().zip(&set.targets) {
        assert_eq!(input[0], label as f32, "inputs and labels move together");
    }
    let mut sorted = set.targets.clone();
    sorted.sort();
    assert_eq!(sorted, (0..10).collect::<Vec<_>>());
    other.shuffle(8);
    assert_ne!(set, other);
    assert_eq!(set.len(), 10);
    assert!(!set.is_empty());
    assert!(Dataset::<2>::default().is_empty());
}
