//! Closed sets of values that travel as fixed `snake_case` strings (`"24_hours"`,
//! `"monthly"`): one table gives the variants, their text, parsing and serde.

/// Declares a fieldless enum whose variants are written as the given strings. Parsing
/// anything else is [`crate::RgError::Invalid`] on `$field`. Variants are ordered as
/// declared.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident for $field:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Result<Self, $crate::RgError> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| $crate::RgError::Invalid {
                    field: $field,
                    message: format!("expected one of {}", [$($text),+].join(", ")),
                })
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::RgError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
