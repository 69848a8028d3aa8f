//! Writes every CustomResourceDefinition the operator serves as `<name>.yaml` into the directory
//! given as its argument: `cargo run --bin crdgen -- crds`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: crdgen <directory>")?;
    for crd in zitadel_user_operator::crd::all() {
        let name = crd.metadata.name.clone().ok_or("a CRD without a name")?;
        let yaml = zitadel_user_operator::crd::crd_yaml(&crd)?;
        std::fs::write(dir.join(format!("{name}.yaml")), yaml)?;
    }
    Ok(())
}
