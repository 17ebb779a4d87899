pub mod header;
pub mod ui;
