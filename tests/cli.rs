//! The binary itself: `export-schema` prints the committed schema; bad input fails clearly.

use std::process::Command;

#[test]
fn export_schema_prints_the_schema() {
    let out = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .arg("export-schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        inventory::graphql::sdl()
    );
}

#[test]
fn importing_a_missing_file_fails_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = inventory::config::sqlite_url(&dir.path().join("x.db"));
    let out = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .args(["import", "/nonexistent/inventory.csv"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/inventory.csv"), "{err}");
}
