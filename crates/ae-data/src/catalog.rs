//! The datasets this crate knows by name: their files, known digests, mirrors and class names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DataError;

/// A dataset known by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// MNIST, 60,000 / 10,000 handwritten digits (IDX).
    Mnist,
    /// Fashion-MNIST, 60,000 / 10,000 clothing images (IDX).
    FashionMnist,
    /// CIFAR-10, 50,000 / 10,000 colour images 32×32 (binary batches).
    Cifar10,
    /// The bundled real MNIST subset, 8,000 / 2,000 digits (IDX), always available offline.
    MnistMini,
}

impl DatasetName {
    /// Every known dataset.
    pub const ALL: [DatasetName; 4] = [
        DatasetName::MnistMini,
        DatasetName::Mnist,
        DatasetName::FashionMnist,
        DatasetName::Cifar10,
    ];

    /// The name used on the command line and in recipes.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Cifar10 => "cifar10",
            DatasetName::MnistMini => "mnist-mini",
        }
    }

    /// Human names of the ten classes.
    pub fn class_names(self) -> [&'static str; 10] {
        match self {
            DatasetName::Mnist | DatasetName::MnistMini => {
                ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
            }
            DatasetName::FashionMnist => [
                "T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                "Bag", "Boot",
            ],
            DatasetName::Cifar10 => [
                "airplane",
                "automobile",
                "bird",
                "cat",
                "deer",
                "dog",
                "frog",
                "horse",
                "ship",
                "truck",
            ],
        }
    }

    /// The shape of one image as stored: [channels, height, width].
    pub fn image_shape(self) -> [usize; 3] {
        match self {
            DatasetName::Cifar10 => [3, 32, 32],
            _ => [1, 28, 28],
        }
    }

    pub(crate) fn format(self) -> Format {
        match self {
            DatasetName::Cifar10 => Format::Cifar,
            _ => Format::Idx,
        }
    }

    /// The files of this dataset with the digests they may have.
    pub(crate) fn files(self) -> &'static [FileSpec] {
        match self {
            DatasetName::Mnist => &MNIST_FILES,
            DatasetName::FashionMnist => &FASHION_FILES,
            DatasetName::MnistMini => &MNIST_MINI_FILES,
            DatasetName::Cifar10 => &CIFAR_FILES,
        }
    }

    /// Base URLs the files can be downloaded from, tried in order.
    pub(crate) fn mirrors(self) -> &'static [&'static str] {
        match self {
            DatasetName::Mnist => &[
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/",
            ],
            DatasetName::FashionMnist => &[
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            ],
            DatasetName::Cifar10 => &["https://www.cs.toronto.edu/~kriz/"],
            DatasetName::MnistMini => &[],
        }
    }

    /// Directories where a system package installs the dataset.
    pub(crate) fn system_dirs(self) -> &'static [&'static str] {
        match self {
            DatasetName::FashionMnist => &["/usr/share/datasets/fashion-mnist"],
            DatasetName::Mnist => &["/usr/share/datasets/mnist"],
            _ => &[],
        }
    }

    /// A line on how to get the dataset without a network.
    pub(crate) fn offline_hint(self) -> &'static str {
        match self {
            DatasetName::FashionMnist => {
                "on Debian/Ubuntu, `apt-get install dataset-fashion-mnist` installs it in /usr/share/datasets/fashion-mnist"
            }
            DatasetName::Cifar10 => {
                "get cifar-10-binary.tar.gz (the 'binary version' of CIFAR-10) and unpack it; the .bin files may stay in their cifar-10-batches-bin folder"
            }
            DatasetName::Mnist => "get the four IDX files of MNIST (gzipped or not)",
            DatasetName::MnistMini => "it is bundled in assets/mnist-mini of the ae repository",
        }
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DatasetName {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "mnist" => Ok(DatasetName::Mnist),
            "fashion-mnist" | "fashionmnist" => Ok(DatasetName::FashionMnist),
            "cifar10" | "cifar-10" => Ok(DatasetName::Cifar10),
            "mnist-mini" => Ok(DatasetName::MnistMini),
            _ => Err(DataError::UnknownDataset { name: s.into() }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Idx,
    Cifar,
}

/// A digest a file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Digest {
    Sha256(&'static str),
    Md5(&'static str),
}

/// The role a file plays in its dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    TrainImages,
    TrainLabels,
    TestImages,
    TestLabels,
    /// One of CIFAR-10's five training batches.
    TrainBatch,
    /// CIFAR-10's test batch.
    TestBatch,
}

/// One file of a dataset. `name` is the canonical (gzipped) name; readers also accept the
/// name without `.gz`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileSpec {
    pub name: &'static str,
    pub role: Role,
    /// Any one of these matching verifies the file; empty when no digest is known.
    pub digests: &'static [Digest],
}

const MNIST_FILES: [FileSpec; 4] = [
    FileSpec {
        name: "train-images-idx3-ubyte.gz",
        role: Role::TrainImages,
        digests: &[Digest::Sha256(
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        )],
    },
    FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        role: Role::TrainLabels,
        digests: &[Digest::Sha256(
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        )],
    },
    FileSpec {
        name: "t10k-images-idx3-ubyte.gz",
        role: Role::TestImages,
        digests: &[Digest::Sha256(
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        )],
    },
    FileSpec {
        name: "t10k-labels-idx1-ubyte.gz",
        role: Role::TestLabels,
        digests: &[Digest::Sha256(
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        )],
    },
];

// Fashion-MNIST: the upstream files (MD5 as published by Zalando and used by torchvision) and
// Debian's package `dataset-fashion-mnist`, which recompresses them (SHA-256 measured here).
const FASHION_FILES: [FileSpec; 4] = [
    FileSpec {
        name: "train-images-idx3-ubyte.gz",
        role: Role::TrainImages,
        digests: &[
            Digest::Md5("8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            Digest::Sha256("b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
        ],
    },
    FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        role: Role::TrainLabels,
        digests: &[
            Digest::Md5("25c81989df183df01b3e8a0aad5dffbe"),
            Digest::Sha256("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
        ],
    },
    FileSpec {
        name: "t10k-images-idx3-ubyte.gz",
        role: Role::TestImages,
        digests: &[
            Digest::Md5("bef4ecab320f06d8554ea6380940ec79"),
            Digest::Sha256("cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
        ],
    },
    FileSpec {
        name: "t10k-labels-idx1-ubyte.gz",
        role: Role::TestLabels,
        digests: &[
            Digest::Md5("bb300cfdad3c16e7a12a480ee83cd310"),
            Digest::Sha256("8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
        ],
    },
];

// The bundled subset: SHA-256 as in assets/mnist-mini/README.md.
const MNIST_MINI_FILES: [FileSpec; 4] = [
    FileSpec {
        name: "train-images-idx3-ubyte.gz",
        role: Role::TrainImages,
        digests: &[Digest::Sha256(
            "8134ed5ba757bb1e16e5fd9a967644919581bcea3f21cec80cdcab4a6433cca9",
        )],
    },
    FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        role: Role::TrainLabels,
        digests: &[Digest::Sha256(
            "5dd00f31fe5814076cec287de818e0468646a06dfda8a985b35936ab0c6e6d8f",
        )],
    },
    FileSpec {
        name: "t10k-images-idx3-ubyte.gz",
        role: Role::TestImages,
        digests: &[Digest::Sha256(
            "f996832f9f5378574c84b85e506d466948a5e5f687fa847562a1aac14b61ea84",
        )],
    },
    FileSpec {
        name: "t10k-labels-idx1-ubyte.gz",
        role: Role::TestLabels,
        digests: &[Digest::Sha256(
            "4f0d33f8a64f690111435d87b28831ec82c868ecbd8de0fbe5742988b3b1808a",
        )],
    },
];

// The unpacked CIFAR-10 batches have no published digests; the archive does (below).
const CIFAR_FILES: [FileSpec; 6] = [
    FileSpec {
        name: "data_batch_1.bin",
        role: Role::TrainBatch,
        digests: &[],
    },
    FileSpec {
        name: "data_batch_2.bin",
        role: Role::TrainBatch,
        digests: &[],
    },
    FileSpec {
        name: "data_batch_3.bin",
        role: Role::TrainBatch,
        digests: &[],
    },
    FileSpec {
        name: "data_batch_4.bin",
        role: Role::TrainBatch,
        digests: &[],
    },
    FileSpec {
        name: "data_batch_5.bin",
        role: Role::TrainBatch,
        digests: &[],
    },
    FileSpec {
        name: "test_batch.bin",
        role: Role::TestBatch,
        digests: &[],
    },
];

/// The CIFAR-10 archive as published, with its MD5.
pub(crate) const CIFAR_ARCHIVE: FileSpec = FileSpec {
    name: "cifar-10-binary.tar.gz",
    role: Role::TrainBatch,
    digests: &[Digest::Md5("c32a1d4ab5d03f1284b67883e8d87530")],
};
