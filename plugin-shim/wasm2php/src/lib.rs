//! Placeholder: the translator is being written.
