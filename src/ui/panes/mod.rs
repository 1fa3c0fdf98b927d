//! The dashboard's panes: one widget each, drawn from the state
//! (`ui::state`) with the helpers they share (`ui::common`); none borrows
//! from a sibling pane.

pub mod banner;
pub mod console;
pub mod explain;
pub mod header;
pub mod lanes;
pub mod log;
pub mod overlay;
pub mod resources;
pub mod source;
pub mod variables;
