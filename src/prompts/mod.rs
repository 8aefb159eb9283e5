//! Prompt templates (seed 004): versioned bodies with declared, typed variables.
