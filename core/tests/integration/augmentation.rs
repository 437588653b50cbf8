//! Image augmentation: each transform does what it says, draws are reproducible for a seed,
//! and tuples compose in order.

use staticnet_core::augment::{
    Augment, Augmenter, Cutout, GaussianNoise, Image, RandomCrop, RandomHorizontalFlip, RandomRotation,
    RandomTranslation,
};

/// A 1x8x8 image whose pixels are all different: 1 + y·8 + x.
fn ramp() -> Image<1, 8, 8> {
    [core::array::from_fn(|y| core::array::from_fn(|x| (1 + y * 8 + x) as f32))]
}

/// The shift `(dy, dx)` that turns `original` into `shifted` (0 filling the rest), if any.
fn find_shift(original: &Image<1, 8, 8>, shifted: &Image<1, 8, 8>, max: isize) -> Option<(isize, isize)> {
    for dy in -max..=max {
        for dx in -max..=max {
            let ok = (0..8).all(|y| {
                (0..8).all(|x| {
                    let (sy, sx) = (y as isize - dy, x as isize - dx);
                    let want = if (0..8).contains(&sy) && (0..8).contains(&sx) {
                        original[0][sy as usize][sx as usize]
                    } else {
                        0.0
                    };
                    shifted[0][y][x] == want
                })
            });
            if ok {
                return Some((dy, dx));
            }
        }
    }
    None
}

#[test]
fn crops_and_translations_are_whole_pixel_shifts_within_range() {
    let mut seen = std::collections::HashSet::new();
    let mut crop = Augmenter::<_, 1, 8, 8>::new(RandomCrop { padding: 2, fill: 0.0 }, 1);
    let mut translate =
        Augmenter::<_, 1, 8, 8>::new(RandomTranslation { height_factor: 0.25, width_factor: 0.125, fill: 0.0 }, 2);
    for _ in 0..200 {
        let mut images = [ramp()];
        crop.apply(&mut images);
        let shift = find_shift(&ramp(), &images[0], 2).expect("a crop of the padded image is a shift by at most 2");
        seen.insert(shift);
        let mut images = [ramp()];
        translate.apply(&mut images);
        let (dy, dx) = find_shift(&ramp(), &images[0], 2).expect("a shift");
        assert!(dy.abs() <= 2 && dx.abs() <= 1, "translation ({dy}, {dx}) beyond 0.25·8, 0.125·8");
    }
    assert_eq!(seen.len(), 25, "every shift in -2..=2 x -2..=2 occurs");
}

#[test]
fn flips_rotations_cutout_and_noise() {
    let mut scratch = [[[0.0; 8]; 8]; 1];
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(0);
    let mut image = ramp();
    RandomHorizontalFlip { p: 1.0 }.apply(&mut image, &mut scratch, &mut rng);
    assert_eq!(image[0][2], [24.0, 23.0, 22.0, 21.0, 20.0, 19.0, 18.0, 17.0]);
    (RandomHorizontalFlip { p: 1.0 }, RandomHorizontalFlip { p: 1.0 }).apply(&mut image, &mut scratch, &mut rng);
    assert_eq!(image[0][2][0], 24.0, "two flips in a tuple cancel");
    RandomHorizontalFlip { p: 0.0 }.apply(&mut image, &mut scratch, &mut rng);
    assert_eq!(image[0][2][0], 24.0);

    let mut image = ramp();
    RandomRotation { degrees: 0.0, fill: 0.0 }.apply(&mut image, &mut scratch, &mut rng);
    assert_eq!(image, ramp(), "a rotation by 0 degrees is exact");
    // A centred disc keeps its mass under small rotations; bilinear values stay in range.
    let disc: Image<1, 16, 16> =
        [core::array::from_fn(|y| core::array::from_fn(|x| f32::from((y as f32 - 7.5).hypot(x as f32 - 7.5) < 5.0)))];
    let mut scratch16 = [[[0.0; 16]; 16]; 1];
    for _ in 0..20 {
        let mut image = disc;
        RandomRotation { degrees: 15.0, fill: 0.0 }.apply(&mut image, &mut scratch16, &mut rng);
        let (before, after): (f32, f32) =
            (disc.iter().flatten().flatten().sum(), image.iter().flatten().flatten().sum());
        assert!((after - before).abs() < 0.05 * before, "mass {before} -> {after}");
        assert!(image.iter().flatten().flatten().all(|&v| (0.0..=1.0 + 1e-6).contains(&v)));
    }
    let mut turned = 0;
    let square: Image<1, 16, 16> =
        [core::array::from_fn(|y| core::array::from_fn(|x| f32::from((4..12).contains(&y) && (4..12).contains(&x))))];
    for _ in 0..20 {
        let mut image = square;
        RandomRotation { degrees: 20.0, fill: 0.0 }.apply(&mut image, &mut scratch16, &mut rng);
        turned += usize::from(image != square);
    }
    assert!(turned >= 19, "a square changes under rotation");

    for _ in 0..50 {
        let mut ones = [[[1.0f32; 8]; 8]; 1];
        Cutout { size: 4, fill: 0.0 }.apply(&mut ones, &mut scratch, &mut rng);
        let zeros: Vec<(usize, usize)> =
            (0..8).flat_map(|y| (0..8).map(move |x| (y, x))).filter(|&(y, x)| ones[0][y][x] == 0.0).collect();
        let (ys, xs): (Vec<usize>, Vec<usize>) = zeros.iter().copied().unzip();
        let (h, w) = (
            ys.iter().max().unwrap() - ys.iter().min().unwrap() + 1,
            xs.iter().max().unwrap() - xs.iter().min().unwrap() + 1,
        );
        assert_eq!(zeros.len(), h * w, "a rectangle");
        assert!((2..=4).contains(&h) && (2..=4).contains(&w), "{h}x{w}: a 4x4 square clipped at the border");
    }

    let mut big = [[[0.0f32; 64]; 64]; 1];
    let mut scratch64 = [[[0.0; 64]; 64]; 1];
    GaussianNoise { std: 0.5 }.apply(&mut big, &mut scratch64, &mut rng);
    let values: Vec<f64> = big.iter().flatten().flatten().map(|&v| f64::from(v)).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    assert!(mean.abs() < 0.03 && (std - 0.5).abs() < 0.03, "mean {mean}, std {std}");
}

#[test]
fn augmentation_is_reproducible_for_a_seed() {
    let pipeline =
        (RandomCrop { padding: 1, fill: 0.0 }, RandomRotation { degrees: 10.0, fill: 0.0 }, GaussianNoise { std: 0.1 });
    let run = |seed| {
        let mut augmenter = Augmenter::<_, 1, 8, 8>::new(pipeline, seed);
        let mut batch: Vec<[f32; 64]> = (0..4).map(|i| core::array::from_fn(|j| (i * 64 + j) as f32 / 256.0)).collect();
        augmenter.apply_flat(&mut batch);
        augmenter.apply_flat(&mut batch);
        batch
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
    let batch = run(5);
    assert_ne!(batch[0], batch[1], "each image gets its own draw");
}
