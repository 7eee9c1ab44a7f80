//! `--image PATH|URL`: the bytes read or fetched, the type told from them, kept in the data
//! directory by content hash (so a continued conversation re-sends them and export/import
//! keeps them), and attached to the call's user message.

use std::path::{Path, PathBuf};

use anyhow::Result;
use base64::Engine as _;

use super::image::{Image, ImageError};
use super::remote::{ApiRequest, Fetch, Origin, send};
use crate::error::{Failure, Kind, usage};
use crate::message::Attached;

/// Where images are kept.
pub fn images_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("images")
}

/// Reads (or fetches) each `--image`, checks its type, stores it, and returns it attached.
pub fn load(
    specs: &[String],
    cwd: &Path,
    data_dir: &Path,
    fetch: &dyn Fetch,
) -> Result<Vec<Attached>> {
    specs
        .iter()
        .map(|spec| load_one(spec, cwd, data_dir, fetch))
        .collect()
}

fn load_one(spec: &str, cwd: &Path, data_dir: &Path, fetch: &dyn Fetch) -> Result<Attached> {
    let bytes = if spec.starts_with("https://") || spec.starts_with("http://") {
        let origin = Origin {
            service: "web",
            what: spec,
            credentials: "",
        };
        let mut request = ApiRequest::get(spec, None).header("Accept", "image/*");
        request.follow_redirects = super::web::MAX_REDIRECTS;
        send(fetch, &request, origin)?.body
    } else {
        let path = cwd.join(spec);
        std::fs::read(&path).map_err(|e| usage(format!("cannot read image {spec}: {e}")))?
    };
    let image = Image::from_bytes(bytes).map_err(|e| match e {
        ImageError::UnknownType => usage(format!("image {spec} is not PNG, JPEG, GIF or WebP"))
            .hint("the type is told from the bytes, not the name"),
        ImageError::TooLarge { .. } => unreachable!("no limit checked here"),
    })?;
    let dir = images_dir(data_dir);
    let path = dir.join(image.file_name());
    if !path.exists() {
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, &image.bytes))
            .map_err(|e| {
                Failure::new(
                    Kind::Io,
                    format!("cannot keep image {}: {e}", path.display()),
                )
            })?;
    }
    Ok(Attached {
        name: image.file_name(),
        media_type: image.kind.mime().to_string(),
        data: image.base64(),
    })
}

/// Loads the data of images recorded in a conversation (the record keeps names only).
pub fn fill(attached: &mut Attached, data_dir: &Path) -> Result<()> {
    if !attached.data.is_empty() {
        return Ok(());
    }
    let path = images_dir(data_dir).join(&attached.name);
    let bytes = std::fs::read(&path).map_err(|e| {
        usage(format!(
            "the conversation's image {} is missing: {e}",
            attached.name
        ))
        .hint("images are kept in the data directory's images/; import them with the conversation")
    })?;
    attached.data = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(())
}
