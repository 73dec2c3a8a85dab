//! The route table: `ROUTES` lists every path, its methods and who may call each, and the
//! dispatcher answers from that table alone. A path in the table with another method is
//! 405; any other `/api` path is 404; everything else is the web app.
//!
//! Authentication follows the table: an operation whose access rule needs an account gets
//! its `Caller` from the dispatcher, so a route cannot forget it. `docs/openapi.json` names
//! each operation's rule as `x-access`, and the tests below hold the two equal.

use std::future::Future;
use std::pin::Pin;

use hyper::Method;
use serde_json::json;

use crate::api::{
    admin, auth, content, files, folders, me, openapi, parse_id, qr, requests, search, shared,
    shares, trash, uploads, visitor, zip,
};
use crate::app::App;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::http::{Request, Response, ok_json};
use crate::server::assets;
use crate::store::ItemKind;

/// Who may call an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// Any logged-in account, acting on its own things (admins may add `?user=`).
    User,
    /// The account named by the path's `{id}`, or an admin.
    SelfOrAdmin,
    /// The owner of the file named by the path's `{id}`, or an admin.
    OwnerOrAdmin,
    /// Admins only: 403 for other accounts.
    Admin,
    /// The file's owner or an admin with a token, or anyone with a signed link to it.
    SignedLinkOrOwner,
    /// Anyone holding the share token in the path.
    ShareToken,
    /// The account that created the resumable upload named by the path's `{id}` (404 to
    /// every other, admins included).
    Creator,
}

#[cfg(test)]
impl Access {
    /// Every rule, for tests that walk them all.
    pub const ALL: [Access; 8] = [
        Access::Public,
        Access::User,
        Access::SelfOrAdmin,
        Access::OwnerOrAdmin,
        Access::Admin,
        Access::SignedLinkOrOwner,
        Access::ShareToken,
        Access::Creator,
    ];

    /// The rule's name in `x-access`.
    pub fn name(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::User => "user",
            Access::SelfOrAdmin => "self-or-admin",
            Access::OwnerOrAdmin => "owner-or-admin",
            Access::Admin => "admin",
            Access::SignedLinkOrOwner => "signed-link-or-owner",
            Access::ShareToken => "share-token",
            Access::Creator => "creator",
        }
    }
}

impl Access {
    /// Whether only a valid token gets in. The signed-link rule is not among them: its
    /// handler checks the link or the token itself.
    fn needs_account(self) -> bool {
        matches!(
            self,
            Access::User
                | Access::SelfOrAdmin
                | Access::OwnerOrAdmin
                | Access::Admin
                | Access::Creator
        )
    }
}

/// One path and what it answers.
pub struct Route {
    /// `/api/files/{id}/content`: a `{name}` segment matches any one segment.
    pub path: &'static str,
    /// The `Allow` header of its 405: its methods, as `ROUTES` lists them (a test checks).
    allow: &'static str,
    pub operations: &'static [Operation],
}

/// One method on one path.
pub struct Operation {
    pub method: &'static str,
    pub access: Access,
    handler: Handler,
}

/// What runs an operation: those that need an account get its `Caller`.
#[derive(Clone, Copy)]
enum Handler {
    Open(OpenHandler),
    WithCaller(CallerHandler),
}

#[derive(Clone, Copy)]
enum OpenHandler {
    Health,
    OpenApi,
    Register,
    Login,
    FileContent,
    SharedContent,
    UploadOptions,
    SharedDownload,
    SharedInfo,
    SharedUnlock,
    RequestPage,
    RequestInfo,
    RequestUnlock,
    RequestPut,
    RequestPost,
    FolderZip,
}

#[derive(Clone, Copy)]
enum CallerHandler {
    Logout,
    GetMe,
    PatchMe,
    ChangePassword,
    PutAvatar,
    DeleteAvatar,
    GetAvatar,
    ListFiles,
    UploadMultipart,
    UploadRaw,
    GetFile,
    PatchFile,
    DeleteFile,
    Link,
    Share,
    PatchShare,
    Unshare,
    ShareFolder,
    PatchFolderShare,
    UnshareFolder,
    ListShares,
    ListAllShares,
    Qr,
    CreateRequest,
    ListRequests,
    DeleteRequest,
    ListUploads,
    CreateUpload,
    HeadUpload,
    PatchUpload,
    DeleteUpload,
    CreateFolder,
    GetFolder,
    PatchFolder,
    DeleteFolder,
    FolderContents,
    FolderLink,
    Search,
    ListTrash,
    EmptyTrash,
    RestoreFile,
    RestoreFolder,
    PurgeFile,
    PurgeFolder,
    ListUsers,
    PatchUser,
    DeleteUser,
}

const fn op(method: &'static str, access: Access, handler: Handler) -> Operation {
    Operation {
        method,
        access,
        handler,
    }
}

use Access as A;
use CallerHandler as C;
use Handler::{Open, WithCaller};
use OpenHandler as O;

/// Every route of the server. The web app (every other path outside `/api`) is not here.
pub const ROUTES: &[Route] = &[
    Route {
        path: "/api/health",
        allow: "GET",
        operations: &[op("GET", A::Public, Open(O::Health))],
    },
    Route {
        path: "/api/openapi.json",
        allow: "GET",
        operations: &[op("GET", A::Public, Open(O::OpenApi))],
    },
    Route {
        path: "/api/auth/register",
        allow: "POST",
        operations: &[op("POST", A::Public, Open(O::Register))],
    },
    Route {
        path: "/api/auth/login",
        allow: "POST",
        operations: &[op("POST", A::Public, Open(O::Login))],
    },
    Route {
        path: "/api/auth/logout",
        allow: "POST",
        operations: &[op("POST", A::User, WithCaller(C::Logout))],
    },
    Route {
        path: "/api/me",
        allow: "GET, PATCH",
        operations: &[
            op("GET", A::User, WithCaller(C::GetMe)),
            op("PATCH", A::User, WithCaller(C::PatchMe)),
        ],
    },
    Route {
        path: "/api/me/password",
        allow: "POST",
        operations: &[op("POST", A::User, WithCaller(C::ChangePassword))],
    },
    Route {
        path: "/api/me/avatar",
        allow: "PUT, DELETE",
        operations: &[
            op("PUT", A::User, WithCaller(C::PutAvatar)),
            op("DELETE", A::User, WithCaller(C::DeleteAvatar)),
        ],
    },
    Route {
        path: "/api/users/{id}/avatar",
        allow: "GET",
        operations: &[op("GET", A::SelfOrAdmin, WithCaller(C::GetAvatar))],
    },
    Route {
        path: "/api/files",
        allow: "GET, POST, PUT",
        operations: &[
            op("GET", A::User, WithCaller(C::ListFiles)),
            op("POST", A::User, WithCaller(C::UploadMultipart)),
            op("PUT", A::User, WithCaller(C::UploadRaw)),
        ],
    },
    Route {
        path: "/api/files/{id}",
        allow: "GET, PATCH, DELETE",
        operations: &[
            op("GET", A::OwnerOrAdmin, WithCaller(C::GetFile)),
            op("PATCH", A::OwnerOrAdmin, WithCaller(C::PatchFile)),
            op("DELETE", A::OwnerOrAdmin, WithCaller(C::DeleteFile)),
        ],
    },
    Route {
        path: "/api/files/{id}/content",
        allow: "GET, HEAD",
        operations: &[
            op("GET", A::SignedLinkOrOwner, Open(O::FileContent)),
            op("HEAD", A::SignedLinkOrOwner, Open(O::FileContent)),
        ],
    },
    Route {
        path: "/api/files/{id}/link",
        allow: "POST",
        operations: &[op("POST", A::OwnerOrAdmin, WithCaller(C::Link))],
    },
    Route {
        path: "/api/files/{id}/share",
        allow: "POST, PATCH, DELETE",
        operations: &[
            op("POST", A::OwnerOrAdmin, WithCaller(C::Share)),
            op("PATCH", A::OwnerOrAdmin, WithCaller(C::PatchShare)),
            op("DELETE", A::OwnerOrAdmin, WithCaller(C::Unshare)),
        ],
    },
    Route {
        path: "/api/folders",
        allow: "POST",
        operations: &[op("POST", A::User, WithCaller(C::CreateFolder))],
    },
    Route {
        path: "/api/folders/{id}",
        allow: "GET, PATCH, DELETE",
        operations: &[
            op("GET", A::OwnerOrAdmin, WithCaller(C::GetFolder)),
            op("PATCH", A::OwnerOrAdmin, WithCaller(C::PatchFolder)),
            op("DELETE", A::OwnerOrAdmin, WithCaller(C::DeleteFolder)),
        ],
    },
    Route {
        path: "/api/folders/{id}/contents",
        allow: "GET",
        operations: &[op("GET", A::OwnerOrAdmin, WithCaller(C::FolderContents))],
    },
    Route {
        path: "/api/folders/{id}/zip",
        allow: "GET",
        operations: &[op("GET", A::SignedLinkOrOwner, Open(O::FolderZip))],
    },
    Route {
        path: "/api/folders/{id}/share",
        allow: "POST, PATCH, DELETE",
        operations: &[
            op("POST", A::OwnerOrAdmin, WithCaller(C::ShareFolder)),
            op("PATCH", A::OwnerOrAdmin, WithCaller(C::PatchFolderShare)),
            op("DELETE", A::OwnerOrAdmin, WithCaller(C::UnshareFolder)),
        ],
    },
    Route {
        path: "/api/folders/{id}/requests",
        allow: "POST",
        operations: &[op("POST", A::OwnerOrAdmin, WithCaller(C::CreateRequest))],
    },
    Route {
        path: "/api/shares",
        allow: "GET",
        operations: &[op("GET", A::User, WithCaller(C::ListShares))],
    },
    Route {
        path: "/api/qr",
        allow: "GET",
        operations: &[op("GET", A::User, WithCaller(C::Qr))],
    },
    Route {
        path: "/api/requests",
        allow: "GET",
        operations: &[op("GET", A::User, WithCaller(C::ListRequests))],
    },
    Route {
        path: "/api/requests/{id}",
        allow: "DELETE",
        operations: &[op("DELETE", A::OwnerOrAdmin, WithCaller(C::DeleteRequest))],
    },
    Route {
        path: "/api/folders/{id}/link",
        allow: "POST",
        operations: &[op("POST", A::OwnerOrAdmin, WithCaller(C::FolderLink))],
    },
    Route {
        path: "/api/uploads",
        allow: "OPTIONS, GET, POST",
        operations: &[
            op("OPTIONS", A::Public, Open(O::UploadOptions)),
            op("GET", A::User, WithCaller(C::ListUploads)),
            op("POST", A::User, WithCaller(C::CreateUpload)),
        ],
    },
    Route {
        path: "/api/uploads/{id}",
        allow: "OPTIONS, HEAD, PATCH, DELETE",
        operations: &[
            op("OPTIONS", A::Public, Open(O::UploadOptions)),
            op("HEAD", A::Creator, WithCaller(C::HeadUpload)),
            op("PATCH", A::Creator, WithCaller(C::PatchUpload)),
            op("DELETE", A::Creator, WithCaller(C::DeleteUpload)),
        ],
    },
    Route {
        path: "/api/search",
        allow: "GET",
        operations: &[op("GET", A::User, WithCaller(C::Search))],
    },
    Route {
        path: "/api/trash",
        allow: "GET, DELETE",
        operations: &[
            op("GET", A::User, WithCaller(C::ListTrash)),
            op("DELETE", A::User, WithCaller(C::EmptyTrash)),
        ],
    },
    Route {
        path: "/api/trash/files/{id}",
        allow: "DELETE",
        operations: &[op("DELETE", A::OwnerOrAdmin, WithCaller(C::PurgeFile))],
    },
    Route {
        path: "/api/trash/files/{id}/restore",
        allow: "POST",
        operations: &[op("POST", A::OwnerOrAdmin, WithCaller(C::RestoreFile))],
    },
    Route {
        path: "/api/trash/folders/{id}",
        allow: "DELETE",
        operations: &[op("DELETE", A::OwnerOrAdmin, WithCaller(C::PurgeFolder))],
    },
    Route {
        path: "/api/trash/folders/{id}/restore",
        allow: "POST",
        operations: &[op("POST", A::OwnerOrAdmin, WithCaller(C::RestoreFolder))],
    },
    Route {
        path: "/api/admin/users",
        allow: "GET",
        operations: &[op("GET", A::Admin, WithCaller(C::ListUsers))],
    },
    Route {
        path: "/api/admin/shares",
        allow: "GET",
        operations: &[op("GET", A::Admin, WithCaller(C::ListAllShares))],
    },
    Route {
        path: "/api/admin/users/{id}",
        allow: "PATCH, DELETE",
        operations: &[
            op("PATCH", A::Admin, WithCaller(C::PatchUser)),
            op("DELETE", A::Admin, WithCaller(C::DeleteUser)),
        ],
    },
    Route {
        path: "/s/{token}",
        allow: "GET, HEAD",
        operations: &[
            op("GET", A::ShareToken, Open(O::SharedContent)),
            op("HEAD", A::ShareToken, Open(O::SharedContent)),
        ],
    },
    Route {
        path: "/s/{token}/download",
        allow: "GET, HEAD",
        operations: &[
            op("GET", A::ShareToken, Open(O::SharedDownload)),
            op("HEAD", A::ShareToken, Open(O::SharedDownload)),
        ],
    },
    Route {
        path: "/s/{token}/info",
        allow: "GET",
        operations: &[op("GET", A::ShareToken, Open(O::SharedInfo))],
    },
    Route {
        path: "/s/{token}/unlock",
        allow: "POST",
        operations: &[op("POST", A::ShareToken, Open(O::SharedUnlock))],
    },
    Route {
        path: "/r/{token}",
        allow: "GET",
        operations: &[op("GET", A::ShareToken, Open(O::RequestPage))],
    },
    Route {
        path: "/r/{token}/info",
        allow: "GET",
        operations: &[op("GET", A::ShareToken, Open(O::RequestInfo))],
    },
    Route {
        path: "/r/{token}/unlock",
        allow: "POST",
        operations: &[op("POST", A::ShareToken, Open(O::RequestUnlock))],
    },
    Route {
        path: "/r/{token}/files",
        allow: "POST, PUT",
        operations: &[
            op("POST", A::ShareToken, Open(O::RequestPost)),
            op("PUT", A::ShareToken, Open(O::RequestPut)),
        ],
    },
];

pub async fn route(app: &App, req: Request) -> Response {
    dispatch(app, req)
        .await
        .unwrap_or_else(Error::into_response)
}

async fn dispatch(app: &App, req: Request) -> Result<Response> {
    let path = req.uri().path().to_string();
    let Some((route, param)) = find(&path) else {
        return match path.split('/').nth(1) {
            Some("api") => Err(Error::NotFound),
            _ => match *req.method() {
                Method::GET | Method::HEAD => Ok(assets::serve(&req)),
                _ => Err(Error::MethodNotAllowed("GET, HEAD")),
            },
        };
    };
    let Some(operation) = route
        .operations
        .iter()
        .find(|op| op.method == req.method().as_str())
    else {
        return Err(Error::MethodNotAllowed(route.allow));
    };
    let param = param.unwrap_or_default();
    let caller = if operation.access.needs_account() {
        Some(app.caller(&req).await?)
    } else {
        None
    };
    // The admin handlers check too; refusing here as well makes `x-access` true by
    // construction.
    if let (Access::Admin, Some(caller)) = (operation.access, &caller) {
        caller.require_admin()?;
    }
    match (operation.handler, caller) {
        (Open(handler), None) => open(app, req, handler, param).await,
        (WithCaller(handler), Some(caller)) => with_caller(app, caller, req, handler, param).await,
        // Ruled out for every route by a test below.
        _ => Err(Error::Internal(format!(
            "{} {}: its handler and its access rule disagree",
            operation.method, route.path
        ))),
    }
}

/// The route whose pattern matches `path`, and the one `{…}` segment it captured, if any.
fn find(path: &str) -> Option<(&'static Route, Option<&str>)> {
    ROUTES
        .iter()
        .find_map(|route| Some((route, capture(route.path, path)?)))
}

/// `Some(captured)` when `path` matches `pattern`, whose one `{…}`, if any, stands for
/// exactly one segment. Plain prefix and suffix comparisons: this runs for every route on
/// every request, and splitting both strings into segments cost more than the database.
fn capture<'p>(pattern: &str, path: &'p str) -> Option<Option<&'p str>> {
    let Some((before, rest)) = pattern.split_once('{') else {
        return (pattern == path).then_some(None);
    };
    let (_, after) = rest.split_once('}')?;
    let segment = path.strip_prefix(before)?.strip_suffix(after)?;
    (!segment.contains('/')).then_some(Some(segment))
}

/// One handler's future, on the heap. An `async fn` that awaited the handlers directly
/// would be as large as the largest of them (an upload's state, kilobytes), and hyper
/// moves the request's future into place for every request: boxing each arm keeps that
/// copy to the size of the handler actually called.
type Handling<'a> = Pin<Box<dyn Future<Output = Result<Response>> + Send + 'a>>;

fn open<'a>(app: &'a App, req: Request, handler: OpenHandler, param: &'a str) -> Handling<'a> {
    match handler {
        O::Health => Box::pin(health(app)),
        O::OpenApi => Box::pin(std::future::ready(Ok(openapi::document()))),
        O::Register => Box::pin(auth::register(app, req)),
        O::Login => Box::pin(auth::login(app, req)),
        O::FileContent => Box::pin(content::for_owner(app, req, param)),
        O::SharedContent => Box::pin(async move {
            if visitor::wants_page(&req) {
                let status = shared::page_status(app, &req, param).await;
                return Ok(assets::app_page(&req, status));
            }
            shared::download(app, req, param).await
        }),
        O::SharedDownload => Box::pin(shared::download(app, req, param)),
        O::UploadOptions => Box::pin(std::future::ready(uploads::options(app))),
        O::SharedInfo => Box::pin(shared::info(app, req, param)),
        O::SharedUnlock => Box::pin(shared::unlock(app, req, param)),
        O::RequestPage => Box::pin(async move {
            if visitor::wants_page(&req) {
                let status = requests::page_status(app, &req, param).await;
                return Ok(assets::app_page(&req, status));
            }
            requests::info(app, req, param).await
        }),
        O::RequestInfo => Box::pin(requests::info(app, req, param)),
        O::RequestUnlock => Box::pin(requests::unlock(app, req, param)),
        O::RequestPut => Box::pin(requests::put(app, req, param)),
        O::RequestPost => Box::pin(requests::post(app, req, param)),
        O::FolderZip => Box::pin(zip::download(app, req, param)),
    }
}

fn with_caller<'a>(
    app: &'a App,
    caller: Caller,
    req: Request,
    handler: CallerHandler,
    id: &'a str,
) -> Handling<'a> {
    match handler {
        C::Logout => Box::pin(auth::logout(app, caller)),
        C::GetMe => Box::pin(me::get(caller)),
        C::PatchMe => Box::pin(me::patch(app, caller, req)),
        C::ChangePassword => Box::pin(me::change_password(app, caller, req)),
        C::PutAvatar => Box::pin(me::put_avatar(app, caller, req)),
        C::DeleteAvatar => Box::pin(me::delete_avatar(app, caller)),
        C::GetAvatar => Box::pin(async move { me::get_avatar(app, caller, parse_id(id)?).await }),
        C::ListFiles => Box::pin(files::list(app, caller, req)),
        C::UploadMultipart => Box::pin(files::upload_multipart(app, caller, req)),
        C::UploadRaw => Box::pin(files::upload_raw(app, caller, req)),
        C::GetFile => Box::pin(files::get(app, caller, req, id)),
        C::PatchFile => Box::pin(files::patch(app, caller, req, id)),
        C::DeleteFile => Box::pin(files::delete(app, caller, id)),
        C::Link => Box::pin(files::link(app, caller, req, id)),
        C::Share => Box::pin(shares::share(app, caller, req, ItemKind::File, id)),
        C::PatchShare => Box::pin(shares::update(app, caller, req, ItemKind::File, id)),
        C::Unshare => Box::pin(shares::unshare(app, caller, ItemKind::File, id)),
        C::ShareFolder => Box::pin(shares::share(app, caller, req, ItemKind::Folder, id)),
        C::PatchFolderShare => Box::pin(shares::update(app, caller, req, ItemKind::Folder, id)),
        C::UnshareFolder => Box::pin(shares::unshare(app, caller, ItemKind::Folder, id)),
        C::ListShares => Box::pin(shares::list(app, caller, req)),
        C::ListAllShares => Box::pin(shares::list_all(app, caller, req)),
        C::Qr => Box::pin(std::future::ready(qr::svg(&req))),
        C::CreateRequest => Box::pin(requests::create(app, caller, req, id)),
        C::ListRequests => Box::pin(requests::list(app, caller, req)),
        C::DeleteRequest => Box::pin(requests::delete(app, caller, id)),
        C::ListUploads => Box::pin(uploads::list(app, caller, req)),
        C::CreateUpload => Box::pin(uploads::create(app, caller, req)),
        C::HeadUpload => Box::pin(uploads::head(app, caller, req, id)),
        C::PatchUpload => Box::pin(uploads::patch(app, caller, req, id)),
        C::DeleteUpload => Box::pin(uploads::delete(app, caller, req, id)),
        C::CreateFolder => Box::pin(folders::create(app, caller, req)),
        C::GetFolder => Box::pin(folders::get(app, caller, req, id)),
        C::PatchFolder => Box::pin(folders::patch(app, caller, req, id)),
        C::DeleteFolder => Box::pin(folders::delete(app, caller, id)),
        C::FolderContents => Box::pin(folders::contents(app, caller, req, id)),
        C::FolderLink => Box::pin(folders::link(app, caller, req, id)),
        C::Search => Box::pin(search::search(app, caller, req)),
        C::ListTrash => Box::pin(trash::list(app, caller, req)),
        C::EmptyTrash => Box::pin(trash::empty(app, caller, req)),
        C::RestoreFile => Box::pin(trash::restore(app, caller, req, ItemKind::File, id)),
        C::RestoreFolder => Box::pin(trash::restore(app, caller, req, ItemKind::Folder, id)),
        C::PurgeFile => Box::pin(trash::purge(app, caller, ItemKind::File, id)),
        C::PurgeFolder => Box::pin(trash::purge(app, caller, ItemKind::Folder, id)),
        C::ListUsers => Box::pin(admin::list_users(app, caller)),
        C::PatchUser => Box::pin(admin::patch_user(app, caller, req, id)),
        C::DeleteUser => Box::pin(admin::delete_user(app, caller, id)),
    }
}

/// `GET /api/health`: `{status, database, version}`; 503 when the database is down.
async fn health(app: &App) -> Result<Response> {
    app.store
        .ping()
        .await
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    Ok(ok_json(json!({
        "status": "ok",
        "database": app.store.dialect(),
        "version": env!("CARGO_PKG_VERSION"),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_405_allows_exactly_the_routes_methods() {
        for route in ROUTES {
            let methods: Vec<&str> = route.operations.iter().map(|op| op.method).collect();
            assert_eq!(route.allow, methods.join(", "), "{}", route.path);
        }
    }

    #[test]
    fn each_handler_takes_a_caller_exactly_when_its_access_rule_needs_an_account() {
        for route in ROUTES {
            for op in route.operations {
                let gets_caller = matches!(op.handler, WithCaller(_));
                assert_eq!(
                    gets_caller,
                    op.access.needs_account(),
                    "{} {}: {:?}",
                    op.method,
                    route.path,
                    op.access
                );
            }
        }
    }

    #[test]
    fn no_two_routes_match_the_same_path() {
        for a in ROUTES {
            // A concrete path for `a`: each `{…}` filled with a value.
            let concrete = a
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let (found, _) = find(&concrete).expect("its own route matches");
            assert_eq!(found.path, a.path, "shadowed, or listed twice");
        }
    }

    #[test]
    fn patterns_capture_their_one_parameter_and_nothing_else_matches() {
        let (route, id) = find("/api/files/abc/content").expect("content route");
        assert_eq!((route.path, id), ("/api/files/{id}/content", Some("abc")));
        let (route, id) = find("/api/me").expect("me route");
        assert_eq!((route.path, id), ("/api/me", None));
        assert!(find("/api/files/abc/content/more").is_none());
        assert!(find("/api/nothing").is_none());
        assert!(find("/s/a/b").is_none());
        assert!(find("/api/files/a/b").is_none());
        assert!(find("/api/files/x/link/").is_none());
        assert_eq!(
            find("/s/").map(|(r, t)| (r.path, t)),
            Some(("/s/{token}", Some("")))
        );
        assert!(find("/api/me/").is_none());
    }
}

#[cfg(test)]
mod the_openapi_document {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::{Access, ROUTES};
    use crate::api::openapi::DOCUMENT;

    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    /// (METHOD, path, x-access) of every operation the document describes.
    fn documented() -> BTreeSet<(String, String, String)> {
        let doc: Value = serde_json::from_slice(DOCUMENT).expect("docs/openapi.json is JSON");
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.1."));
        let paths = doc["paths"].as_object().expect("paths");
        let mut found = BTreeSet::new();
        for (path, item) in paths {
            for (key, operation) in item.as_object().expect("path item") {
                if !METHODS.contains(&key.as_str()) {
                    continue;
                }
                let access = operation["x-access"].as_str().unwrap_or_else(|| {
                    panic!("{key} {path} has no x-access");
                });
                found.insert((key.to_uppercase(), path.clone(), access.to_string()));
            }
        }
        found
    }

    #[test]
    fn the_document_describes_exactly_the_route_table() {
        let table: BTreeSet<(String, String, String)> = ROUTES
            .iter()
            .flat_map(|route| {
                route.operations.iter().map(|op| {
                    let access = op.access.name().to_string();
                    (op.method.to_string(), route.path.to_string(), access)
                })
            })
            .collect();
        let doc = documented();
        let undocumented: Vec<_> = table.difference(&doc).collect();
        let stale: Vec<_> = doc.difference(&table).collect();
        assert!(
            undocumented.is_empty() && stale.is_empty(),
            "routes missing from docs/openapi.json: {undocumented:?}; \
             operations in it that the router does not have: {stale:?}"
        );
    }

    #[test]
    fn every_access_rule_is_explained_in_the_document() {
        let doc: Value = serde_json::from_slice(DOCUMENT).expect("JSON");
        let explained = doc["info"]["x-access-rules"].as_object().expect("rules");
        for access in Access::ALL {
            assert!(explained.contains_key(access.name()), "{access:?}");
        }
        assert_eq!(explained.len(), Access::ALL.len());
    }
}
