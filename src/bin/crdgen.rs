//! Prints the `User` CustomResourceDefinition as YAML: `cargo run --bin crdgen > crds/…yaml`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    print!("{}", zitadel_user_operator::crd::crd_yaml()?);
    Ok(())
}
