// The migrations are embedded at compile time (refinery's embed_migrations!
// in store::postgres): a new or edited .sql file must rebuild this crate.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    println!("cargo:rerun-if-changed=src/store/app_privileges.sql");
}
