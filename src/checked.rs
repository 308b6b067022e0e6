//! The policy's checked text values: ids, claims and path prefixes.
//!
//! A compiled policy reaches the engine two ways: compiled from JSON ([`crate::policy`]) or loaded from stored bytes
//! ([`crate::bytes`], which must refuse what the compiler would have refused: stored bytes can be damaged or
//! forged). Each rule about these values is written once, here: a value of one of these types exists only when it
//! passed its check. The compiler builds them from what a person wrote ([`Id::new`], [`Claim::new`],
//! [`PathPrefix::new`], which normalise and say what is wrong); the loader rebuilds them from their stored form
//! ([`Claim::from_stored`], [`PathPrefix::from_stored`], which also require the stored text to be normal already).
//!
//! Each dereferences to `str`, so the engine reads them as text.

use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt;
use core::ops::Deref;

/// Longest id accepted for rules and partners.
pub const MAX_ID_LEN: usize = 128;
/// Longest claim accepted.
pub const MAX_CLAIM_LEN: usize = 64;

macro_rules! text_newtype {
    ($name:ident) => {
        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A partner's or rule's id: 1 to [`MAX_ID_LEN`] bytes, no control characters. (Uniqueness is the policy's
/// business: the compiler and the loader each keep the ids they have seen.)
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(String);
text_newtype!(Id);

impl Id {
    /// `None` when `text` is not an id.
    pub fn new(text: &str) -> Option<Id> {
        Id::is_id(text).then(|| Id(text.to_owned()))
    }

    /// [`Id::new`] of text already owned (the loader's), without a copy.
    pub fn from_stored(text: String) -> Option<Id> {
        Id::is_id(&text).then_some(Id(text))
    }

    fn is_id(text: &str) -> bool {
        !text.is_empty() && text.len() <= MAX_ID_LEN && !text.chars().any(char::is_control)
    }
}

/// A substring that marks a User-Agent as claiming to be a partner: 1 to [`MAX_CLAIM_LEN`] bytes, ASCII
/// lower-case (User-Agents are searched for it case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim(String);
text_newtype!(Claim);

impl Claim {
    /// A claim as a person writes it, lower-cased; `None` when empty or longer than [`MAX_CLAIM_LEN`].
    pub fn new(text: &str) -> Option<Claim> {
        Claim::has_claim_length(text).then(|| Claim(text.to_ascii_lowercase()))
    }

    /// A claim as stored in compiled bytes: it must already be lower-case.
    pub fn from_stored(text: String) -> Option<Claim> {
        let lower = !text.bytes().any(|b| b.is_ascii_uppercase());
        (Claim::has_claim_length(&text) && lower).then_some(Claim(text))
    }

    fn has_claim_length(text: &str) -> bool {
        !text.is_empty() && text.len() <= MAX_CLAIM_LEN
    }
}

/// A rule's path prefix: starts with `/`, normalised as the engine normalises request paths
/// ([`crate::path::normalise`]), so that a prefix and a request path compare byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPrefix(String);
text_newtype!(PathPrefix);

/// Why text is not a path prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixError {
    /// It does not start with `/`.
    NotAbsolute,
    /// A `%` not followed by two hex digits, or one that decodes to NUL or to bytes that are not UTF-8.
    BrokenEncoding,
}

impl PathPrefix {
    /// A prefix as a person writes it, normalised.
    pub fn new(text: &str) -> Result<PathPrefix, PrefixError> {
        if !text.starts_with('/') {
            return Err(PrefixError::NotAbsolute);
        }
        crate::path::normalise(text.as_bytes())
            .and_then(|n| String::from_utf8(n).ok())
            .map(PathPrefix)
            .ok_or(PrefixError::BrokenEncoding)
    }

    /// A prefix as stored in compiled bytes: it must already be normalised (and so start with `/`).
    pub fn from_stored(text: String) -> Option<PathPrefix> {
        let normal = text.starts_with('/')
            && crate::path::normalise(text.as_bytes()).is_some_and(|n| n == text.as_bytes());
        normal.then_some(PathPrefix(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(Id::new("sendcloud").is_some());
        assert!(Id::new("").is_none());
        assert!(Id::new("a\u{7}b").is_none());
        assert!(Id::new(&"x".repeat(MAX_ID_LEN)).is_some());
        assert!(Id::new(&"x".repeat(MAX_ID_LEN + 1)).is_none());
        assert!(Id::from_stored("a\nb".into()).is_none());
        assert!(Id::from_stored("rule-1".into()).is_some());
    }

    #[test]
    fn claims_are_lower_cased_when_written_and_must_be_when_stored() {
        assert_eq!(Claim::new("SendCloud").unwrap().as_str(), "sendcloud");
        assert!(Claim::from_stored("sendcloud".into()).is_some());
        assert!(Claim::from_stored("SendCloud".into()).is_none());
        assert!(Claim::from_stored(String::new()).is_none());
        assert!(Claim::new("").is_none());
        assert!(Claim::new(&"x".repeat(MAX_CLAIM_LEN + 1)).is_none());
    }

    #[test]
    fn prefixes_are_normalised_when_written_and_must_be_when_stored() {
        let p = PathPrefix::new("/wp-json/%77c/../wc/").unwrap();
        assert_eq!(p.as_str(), "/wp-json/wc/");
        assert!(PathPrefix::from_stored("/wp-json/wc/".into()).is_some());
        assert!(PathPrefix::from_stored("/wp-json/%77c/".into()).is_none());
        assert!(PathPrefix::from_stored("wp-json/".into()).is_none());
        assert_eq!(PathPrefix::new("wp-admin"), Err(PrefixError::NotAbsolute));
        assert_eq!(PathPrefix::new("/a%zz"), Err(PrefixError::BrokenEncoding));
        assert_eq!(PathPrefix::new("/a%00"), Err(PrefixError::BrokenEncoding));
    }
}
