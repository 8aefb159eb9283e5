//! Embeds every `migrations/NNNN_name.sql` file into the binary, in order, so that desktop and server
//! apply exactly the schema they were built with.
use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations/postgres");
    embed("migrations", "migrations.rs");
    // The team server's PostgreSQL schema: its own files, numbered like SQLite's (src/db/postgres.rs).
    embed("migrations/postgres", "pg_migrations.rs");
}

fn embed(dir: &str, out_file: &str) {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}/ folder: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut out = String::from("pub const MIGRATIONS: &[(u32, &str, &str)] = &[\n");
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let (num, name) = stem.split_once('_').expect("migration named NNNN_name.sql");
        let version: u32 = num.parse().expect("migration number");
        // Relative to the crate at compile time, so a moved checkout or a shared target dir never
        // embeds another tree's files.
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        out.push_str(&format!(
            "    ({version}, {name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{dir}/{file}\"))),\n"
        ));
        println!("cargo:rerun-if-changed={}", path.display());
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join(out_file);
    fs::write(dest, out).unwrap();
}
