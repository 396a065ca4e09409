//! Enums stored in the catalog and shown to people by their serde names, so the
//! name in JSON, in the catalog and on screen is always the same one.

use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::Serialize;

/// The serde name of a unit variant.
pub fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => panic!("{other:?} is not a unit variant's name"),
    }
}

/// The variant with this serde name.
pub fn parse_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    let de: StrDeserializer<'_, ValueError> = name.into_deserializer();
    T::deserialize(de).ok()
}

/// `Display` (and `as_str` for the catalog) by serde name.
macro_rules! display_by_name {
    ($($ty:ty),* $(,)?) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&crate::names::name_of(self))
            }
        }
    )*};
}
pub(crate) use display_by_name;
