//! Images attached to a call: the type from the bytes, the provider body shapes, the limits.
//!
//! Shapes as documented: OpenAI chat completions take a user content part
//! `{"type": "image_url", "image_url": {"url": "data:<mime>;base64,<data>"}}`
//! (<https://platform.openai.com/docs/guides/images-vision>); Anthropic Messages take
//! `{"type": "image", "source": {"type": "base64", "media_type": "<mime>", "data": "<data>"}}`
//! with JPEG, PNG, GIF or WebP (<https://docs.anthropic.com/en/docs/build-with-claude/vision>).

use base64::Engine as _;
use serde_json::{Value, json};

/// The image types both providers accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageType {
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Gif => "image/gif",
            ImageType::Webp => "image/webp",
        }
    }
}

/// The type from the file signature, whatever the name says: PNG `89 50 4E 47 0D 0A 1A 0A`,
/// JPEG `FF D8 FF`, GIF `GIF87a`/`GIF89a`, WebP `RIFF....WEBP`.
pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
    match bytes {
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(ImageType::Png),
        [0xFF, 0xD8, 0xFF, ..] => Some(ImageType::Jpeg),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(ImageType::Gif),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some(ImageType::Webp),
        _ => None,
    }
}

/// An image ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub kind: ImageType,
    pub bytes: Vec<u8>,
}

/// Why an image cannot be sent (each is exit 2, before any request).
#[derive(Debug, PartialEq)]
pub enum ImageError {
    UnknownType,
    TooLarge { encoded: usize, limit: usize },
}

impl Image {
    /// The bytes, if they are one of the accepted types.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Image, ImageError> {
        let kind = sniff(&bytes).ok_or(ImageError::UnknownType)?;
        Ok(Image { kind, bytes })
    }

    pub fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.bytes)
    }

    /// The SHA-256 of the bytes in hex: the name the image is kept under in the data
    /// directory, so a continued conversation re-sends it and export/import keeps it.
    pub fn content_hash(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.bytes);
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `<hash>.<ext>`: the file name in the data directory.
    pub fn file_name(&self) -> String {
        let ext = match self.kind {
            ImageType::Png => "png",
            ImageType::Jpeg => "jpg",
            ImageType::Gif => "gif",
            ImageType::Webp => "webp",
        };
        format!("{}.{ext}", self.content_hash())
    }

    /// `data:<mime>;base64,<data>`.
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.kind.mime(), self.base64())
    }

    /// The OpenAI chat-completions content part.
    pub fn openai_part(&self) -> Value {
        json!({"type": "image_url", "image_url": {"url": self.data_url()}})
    }

    /// The Anthropic Messages content block.
    pub fn anthropic_block(&self) -> Value {
        json!({"type": "image", "source": {
            "type": "base64", "media_type": self.kind.mime(), "data": self.base64()
        }})
    }

    /// Refuses an image whose base64 form is over `limit` bytes (the providers count what
    /// they receive).
    pub fn check_size(&self, limit: usize) -> Result<(), ImageError> {
        let encoded = self.bytes.len().div_ceil(3) * 4;
        match encoded > limit {
            true => Err(ImageError::TooLarge { encoded, limit }),
            false => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

    #[test]
    fn sniffs_the_four_types_and_nothing_else() {
        assert_eq!(sniff(PNG), Some(ImageType::Png));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(sniff(b"GIF89a\x01\x00"), Some(ImageType::Gif));
        assert_eq!(sniff(b"GIF87a"), Some(ImageType::Gif));
        assert_eq!(
            sniff(b"RIFF\x24\x00\x00\x00WEBPVP8 "),
            Some(ImageType::Webp)
        );
        assert_eq!(sniff(b"RIFF\x24\x00\x00\x00WAVEfmt "), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(&[0x89, b'P']), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(
            Image::from_bytes(b"hello".to_vec()),
            Err(ImageError::UnknownType)
        );
    }

    #[test]
    fn body_shapes_for_both_providers() {
        let img = Image::from_bytes(b"GIF89a".to_vec()).unwrap();
        assert_eq!(img.base64(), "R0lGODlh");
        assert_eq!(
            img.openai_part(),
            json!({"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lGODlh"}})
        );
        assert_eq!(
            img.anthropic_block(),
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": "R0lGODlh"}})
        );
    }

    #[test]
    fn content_hash_is_sha256() {
        let img = Image::from_bytes(b"GIF89a".to_vec()).unwrap();
        // printf GIF89a | sha256sum
        assert_eq!(
            img.content_hash(),
            "610f5ae4d76e332636a17bd357fd6ce99029316a99d320280d4d77a746bf29e8"
        );
        assert_eq!(img.file_name(), format!("{}.gif", img.content_hash()));
        assert_eq!(img.content_hash().len(), 64);
    }

    #[test]
    fn size_limit_counts_the_encoded_form() {
        let mut bytes = PNG.to_vec();
        bytes.resize(3000, 0);
        let img = Image::from_bytes(bytes).unwrap();
        assert_eq!(img.check_size(4000), Ok(()));
        assert_eq!(
            img.check_size(3999),
            Err(ImageError::TooLarge {
                encoded: 4000,
                limit: 3999
            })
        );
    }
}
