//! `autobook schemas`: write the JSON Schema of every message.

use anyhow::Context;

use crate::args::SchemasArgs;

pub fn run(args: SchemasArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let files = autobook_contracts::schema::schema_files();
    for (name, schema) in &files {
        let path = args.out.join(name);
        std::fs::write(&path, serde_json::to_string_pretty(schema)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!("wrote {} schemas to {}", files.len(), args.out.display());
    Ok(())
}
