//! Markdown primitives shared by every reader of Markdown: the fenced-code-block scanner
//! (`fence`) and the YAML front-matter splitter (`front_matter`).

pub mod fence;
pub mod front_matter;

pub use fence::{Fence, lines, scan};
pub use front_matter::{FrontMatter, split_front_matter};
