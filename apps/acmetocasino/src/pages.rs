//! The web pages and their assets, embedded in the binary (no CDN, no files at run
//! time).

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
// axe-core is vendored for the browser tests, which inject it themselves: never served.
#[exclude = "vendor/axe-core/*"]
struct Assets;

/// The policy for our own pages: every script and style from this origin.
const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";
/// Swagger UI and ReDoc also run web workers from blobs.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

fn serve(path: &str, csp: &str) -> Result<HttpResponse, ApiError> {
    let file = Assets::get(path).ok_or_else(|| ApiError::NotFound(format!("no such page or asset: /{path}")))?;
    let mime = file.metadata.mimetype().to_owned();
    let cache = if mime.starts_with("text/html") { "no-cache" } else { "public, max-age=3600" };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(file.data.into_owned()))
}

pub async fn index() -> Result<HttpResponse, ApiError> {
    serve("index.html", PAGE_CSP)
}

pub async fn swagger() -> Result<HttpResponse, ApiError> {
    serve("docs.html", DOCS_CSP)
}

pub async fn redoc() -> Result<HttpResponse, ApiError> {
    serve("redoc.html", DOCS_CSP)
}

/// `/static/{path}`; unknown paths are a plain 404 (never a crash).
pub async fn asset(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return Err(ApiError::NotFound("no such asset".into()));
    }
    serve(&path, PAGE_CSP)
}

/// Top-level `*.html` pages (`/dashboard.html`, `/play.html`, …) from the same folder.
pub async fn page(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    if name.contains('/') || name == "docs.html" || name == "redoc.html" {
        return Err(ApiError::NotFound(format!("no such page: /{name}")));
    }
    serve(&name, PAGE_CSP)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_page_and_vendored_asset_is_embedded() {
        for f in [
            "index.html",
            "docs.html",
            "redoc.html",
            "vendor/swagger-ui/swagger-ui-bundle.js",
            "vendor/swagger-ui/swagger-ui.css",
            "vendor/redoc/redoc.standalone.js",
            "vendor/chartjs/chart.umd.min.js",
            "dashboard.html",
            "play.html",
        ] {
            assert!(super::Assets::get(f).is_some(), "{f} missing");
        }
        assert!(super::Assets::get("vendor/axe-core/axe.min.js").is_none(), "axe-core is for the tests only");
    }

    /// The policy allows only scripts from this origin: a page with inline code would
    /// break (and weaken the policy the day someone allowed it).
    #[test]
    fn no_page_carries_inline_script() {
        for name in super::Assets::iter().filter(|n| n.ends_with(".html")) {
            let file = super::Assets::get(&name).unwrap();
            let html = String::from_utf8_lossy(&file.data).to_lowercase();
            for tag in html.split("<script").skip(1) {
                let open = tag.split('>').next().unwrap_or_default();
                assert!(open.contains(" src="), "{name}: an inline <script>");
                assert!(
                    tag.split("</script>").next().unwrap_or_default().trim_start_matches(open).trim() == ">",
                    "{name}: code inside <script src>"
                );
            }
            for attribute in
                [" onclick=", " onload=", " onerror=", " onsubmit=", " onchange=", " oninput=", "javascript:"]
            {
                assert!(!html.contains(attribute), "{name}: {attribute}");
            }
        }
    }
}
