//! Project versions (seed 004) and the script each holds: upload, edit, parse.
