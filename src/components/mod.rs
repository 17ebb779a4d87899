pub mod header;
pub mod island;
pub mod ui;
