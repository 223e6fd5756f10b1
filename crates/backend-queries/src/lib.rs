//! `#[backend_queries]`: one module of Diesel query code, compiled once per backend.
//!
//! ```ignore
//! #[backend_queries(siblings(wallet, compliance))]
//! mod queries {
//!     pub(crate) async fn balance(c: &mut Conn, …) -> QueryResult<…> { … }
//! }
//! ```
//!
//! expands to `pub(crate) mod pg { … }` with `Conn = diesel_async::AsyncPgConnection`
//! and `pub(crate) mod sqlite { … }` with `Conn = crate::db::SqliteConn`, each holding
//! the module's items after `use super::*;`, `together` (the backend's spelling of
//! `crate::db::together_pg!`/`together_sqlite!`) and, for every name in `siblings(…)`,
//! that sibling query module for the same backend (`use crate::db::wallet::pg as wallet;`).
//! The module's own name is a placeholder. Being an attribute on ordinary items, the
//! code inside is formatted by rustfmt and seen by every tool; only the `Conn` type
//! and the imports differ between the two copies.

use proc_macro::{Delimiter, Group, TokenStream, TokenTree};

#[proc_macro_attribute]
pub fn backend_queries(attr: TokenStream, item: TokenStream) -> TokenStream {
    let siblings = match siblings(attr) {
        Ok(s) => s,
        Err(e) => return error(&e),
    };
    let Some(body) = item.into_iter().find_map(|t| match t {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => Some(g.stream()),
        _ => None,
    }) else {
        return error("#[backend_queries] goes on an inline module: `mod queries { … }`");
    };
    let mut out = module("pg", "diesel_async::AsyncPgConnection", &siblings, &body);
    out.extend(module("sqlite", "crate::db::SqliteConn", &siblings, &body));
    out
}

/// The names inside `siblings(a, b)`, or none for an empty attribute.
fn siblings(attr: TokenStream) -> Result<Vec<String>, String> {
    let mut tokens = attr.into_iter();
    let Some(first) = tokens.next() else { return Ok(Vec::new()) };
    let list = match (first, tokens.next()) {
        (TokenTree::Ident(i), Some(TokenTree::Group(g)))
            if i.to_string() == "siblings" && g.delimiter() == Delimiter::Parenthesis =>
        {
            g.stream()
        }
        _ => return Err("expected `siblings(module, …)`".into()),
    };
    if tokens.next().is_some() {
        return Err("expected nothing after `siblings(…)`".into());
    }
    let mut names = Vec::new();
    for t in list {
        match t {
            TokenTree::Ident(i) => names.push(i.to_string()),
            TokenTree::Punct(p) if p.as_char() == ',' => {}
            other => return Err(format!("unexpected `{other}` in `siblings(…)`")),
        }
    }
    Ok(names)
}

fn module(backend: &str, conn: &str, siblings: &[String], body: &TokenStream) -> TokenStream {
    let uses: String = siblings.iter().map(|s| format!("use crate::db::{s}::{backend} as {s};")).collect();
    let prelude = format!(
        "#![allow(unused_imports)] use super::*; {uses} \
         use crate::db::together_{backend} as together; pub(crate) type Conn = {conn};"
    );
    let mut inner = parse(&prelude);
    inner.extend(body.clone());
    let mut out = parse(&format!("pub(crate) mod {backend}"));
    out.extend([TokenTree::Group(Group::new(Delimiter::Brace, inner))]);
    out
}

fn error(message: &str) -> TokenStream {
    parse(&format!("compile_error!({message:?});"))
}

/// Parses source text this crate wrote itself.
fn parse(source: &str) -> TokenStream {
    source.parse().unwrap_or_default()
}
