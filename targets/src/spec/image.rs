//! A spec's image as an [`ImageRecipe`]: an existing tag used as is, a Dockerfile with its context,
//! or a recipe on faultline's tools layer (so the fault tools and libfaketime are in the node).
//! Recipes and Dockerfiles are tagged by the hash of everything they build from, like the
//! built-in targets, and rebuilt only when that changes.

use std::path::Path;

use super::file::ImageSection;
use crate::target::{ContextFile, ImageParent, ImageRecipe};

/// The recipe for `image`; `dir` is the spec file's folder, `name` the spec's name. Errors say
/// which file could not be read.
pub fn recipe(image: &ImageSection, dir: &Path, name: &str) -> Result<ImageRecipe, String> {
    let repo = format!("faultline-spec-{}", repo_word(name));
    if let Some(tag) = &image.tag {
        return Ok(ImageRecipe {
            name: tag.clone(),
            parent: ImageParent::Existing,
            instructions: String::new(),
            files: Vec::new(),
        });
    }
    if let Some(dockerfile) = &image.dockerfile {
        let path = dir.join(dockerfile);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read Dockerfile {}: {e}", path.display()))?;
        let context = match &image.context {
            Some(c) => dir.join(c),
            None => path.parent().unwrap_or(dir).to_path_buf(),
        };
        let mut files = Vec::new();
        collect(&context, &context, &mut files)
            .map_err(|e| format!("cannot read build context {}: {e}", context.display()))?;
        // The harness writes the Dockerfile itself at the context's root.
        files.retain(|f| f.path != "Dockerfile");
        return Ok(ImageRecipe {
            name: repo,
            parent: ImageParent::Own,
            instructions: text,
            files,
        });
    }
    let mut instructions = String::new();
    if !image.packages.is_empty() {
        instructions.push_str(&format!(
            "RUN apt-get update \\\n && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {} \\\n && rm -rf /var/lib/apt/lists/*\n",
            image.packages.join(" ")
        ));
    }
    let mut files = Vec::new();
    for (i, f) in image.files.iter().enumerate() {
        let src = dir.join(&f.src);
        let contents =
            std::fs::read(&src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        let mode = match &f.mode {
            Some(m) => u32::from_str_radix(m, 8)
                .map_err(|_| format!("file mode {m:?} of {} is not octal", f.src))?,
            None => 0o644,
        };
        let in_context = format!("files/{i}");
        instructions.push_str(&format!("COPY {in_context} {}\n", f.dest));
        files.push(ContextFile {
            path: in_context,
            contents,
            mode,
        });
    }
    for command in &image.run {
        instructions.push_str(&format!("RUN {command}\n"));
    }
    Ok(ImageRecipe {
        name: repo,
        parent: ImageParent::Tools,
        instructions,
        files,
    })
}

/// `name` as a Docker repository word: lower case, `[a-z0-9-]`.
fn repo_word(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Every regular file under `dir`, with paths relative to `root`, in a stable order (the image
/// tag hashes them).
fn collect(root: &Path, dir: &Path, out: &mut Vec<ContextFile>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(root, &path, out)?;
        } else if kind.is_file() {
            #[cfg(unix)]
            let mode = std::os::unix::fs::PermissionsExt::mode(&entry.metadata()?.permissions());
            #[cfg(not(unix))]
            let mode = 0o644;
            out.push(ContextFile {
                path: path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned(),
                contents: std::fs::read(&path)?,
                mode: mode & 0o7777,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::file::CopyFile;

    #[test]
    fn a_recipe_installs_copies_and_runs_on_the_tools_layer() {
        let dir = std::env::temp_dir().join(format!("faultline-spec-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.sh"), "echo hi").unwrap();
        let image = ImageSection {
            packages: vec!["redis-server".into(), "redis-tools".into()],
            files: vec![CopyFile {
                src: "a.sh".into(),
                dest: "/usr/local/bin/a.sh".into(),
                mode: Some("755".into()),
            }],
            run: vec!["mkdir -p /data".into()],
            ..Default::default()
        };
        let r = recipe(&image, &dir, "My Store").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(r.name, "faultline-spec-my-store");
        assert_eq!(r.parent, ImageParent::Tools);
        assert!(r
            .instructions
            .contains("install -y --no-install-recommends redis-server redis-tools"));
        assert!(r
            .instructions
            .contains("COPY files/0 /usr/local/bin/a.sh\n"));
        assert!(r.instructions.ends_with("RUN mkdir -p /data\n"));
        assert_eq!(
            (r.files[0].mode, &r.files[0].contents[..]),
            (0o755, &b"echo hi"[..])
        );
    }

    #[test]
    fn a_dockerfile_brings_its_context_and_a_tag_builds_nothing() {
        let dir = std::env::temp_dir().join(format!("faultline-spec-df-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ctx/sub")).unwrap();
        std::fs::write(dir.join("ctx/Dockerfile"), "FROM scratch\nCOPY sub/x /x\n").unwrap();
        std::fs::write(dir.join("ctx/sub/x"), "x").unwrap();
        let image = ImageSection {
            dockerfile: Some("ctx/Dockerfile".into()),
            ..Default::default()
        };
        let r = recipe(&image, &dir, "s").unwrap();
        let missing = recipe(
            &ImageSection {
                dockerfile: Some("nope/Dockerfile".into()),
                ..Default::default()
            },
            &dir,
            "s",
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(r.parent, ImageParent::Own);
        assert!(r.instructions.starts_with("FROM scratch"));
        let paths: Vec<_> = r.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["sub/x"]);
        assert!(missing.unwrap_err().contains("nope/Dockerfile"));
        let tagged = ImageSection {
            tag: Some("store:1".into()),
            ..Default::default()
        };
        let t = recipe(&tagged, &dir, "s").unwrap();
        assert_eq!(
            (t.name.as_str(), t.parent),
            ("store:1", ImageParent::Existing)
        );
    }
}
