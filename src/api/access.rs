//! What a route needs, declared where the route is mounted: a route layer puts a [`Policy`] (and,
//! for routes that start paid work, [`RouteClass::Generation`]) into the request's extensions, and
//! the [`Principal`](super::principal::Principal) extractor reads it. A route with no policy is
//! workspace data: reading takes the `read` scope and a viewer, anything else `write` and an editor.
//! So a new endpoint is covered by mounting it, not by adding its path to a list.
use axum::{http::Method, Extension};
use utoipa_axum::router::OpenApiRouter;

use super::limits::RouteClass;
use crate::{auth::Scope, workspaces::Permission, AppState};

/// The access rule of a group of routes (one table: [`Policy::access`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Sign-in, one's own account, invitations, the desktop's link: any signed-in person, in
    /// their personal workspace (the `X-Workspace-Id` header does not apply); handlers check key
    /// scopes.
    Person,
    /// The instance's administration.
    InstanceAdmin,
    /// Read by any signed-in person, changed by the instance admin (the model catalog).
    PersonReadsAdminWrites,
    /// One's own API keys (a key needs the `admin` scope to manage keys).
    OwnKeys,
    /// The workspace's credits and plans: `billing` scope, owners and admins.
    Billing,
    /// A cost estimate before a run: `billing` scope, editors.
    Estimate,
    /// Work that changes nothing but spends the machine's time, whatever the method (a voice
    /// audition): `write` scope, editors.
    Audition,
    /// A POST that computes without changing anything (estimates, previews, validation): as a read.
    Compute,
    /// Review decisions: `write` scope, reviewers and up.
    Review,
    /// A resource whose DELETE removes it for good: that takes owners and admins; the rest is
    /// workspace data.
    Purge,
    /// The workspace named by the path's `{id}`, read by members; changed by its owners and admins.
    NamedWorkspace,
    /// A membership in the workspace named by `{id}`: leaving (DELETE) is one's own business (the
    /// service checks whom else one may remove); other changes are its owners' and admins'.
    NamedWorkspaceMember,
    /// The workspace named by `{id}`, managed only by its owners and admins (invitations).
    NamedWorkspaceManage,
}

/// What one request needs, from its route's policy and its method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in person, in their personal workspace.
    Person,
    InstanceAdmin,
    OwnKeys,
    /// This scope (API keys) and this role in the request's workspace (`X-Workspace-Id`).
    Workspace(Scope, Permission),
    /// This scope and this role in the workspace the path's `{id}` names.
    NamedWorkspace(Scope, Permission),
}

fn reads(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl Policy {
    /// The access a request with `method` needs on a route of this policy.
    pub fn access(self, method: &Method) -> Access {
        use Access::{NamedWorkspace, Workspace};
        let read = reads(method);
        let named = |read_permission| {
            if read {
                NamedWorkspace(Scope::Read, read_permission)
            } else {
                NamedWorkspace(Scope::Write, Permission::Manage)
            }
        };
        match self {
            Self::Person => Access::Person,
            Self::InstanceAdmin => Access::InstanceAdmin,
            Self::PersonReadsAdminWrites if read => Access::Person,
            Self::PersonReadsAdminWrites => Access::InstanceAdmin,
            Self::OwnKeys => Access::OwnKeys,
            Self::Billing => Workspace(Scope::Billing, Permission::Billing),
            Self::Estimate => Workspace(Scope::Billing, Permission::Write),
            Self::Audition => Workspace(Scope::Write, Permission::Write),
            Self::Compute => Workspace(Scope::Read, Permission::Read),
            Self::Review => Workspace(Scope::Write, Permission::Review),
            Self::Purge if *method == Method::DELETE => Workspace(Scope::Write, Permission::Manage),
            Self::Purge => Self::default_access(method),
            Self::NamedWorkspace => named(Permission::Read),
            Self::NamedWorkspaceMember if *method == Method::DELETE => {
                NamedWorkspace(Scope::Write, Permission::Read)
            }
            Self::NamedWorkspaceMember => named(Permission::Manage),
            Self::NamedWorkspaceManage => named(Permission::Manage),
        }
    }

    /// A route without a policy: workspace data.
    pub fn default_access(method: &Method) -> Access {
        if reads(method) {
            Access::Workspace(Scope::Read, Permission::Read)
        } else {
            Access::Workspace(Scope::Write, Permission::Write)
        }
    }
}

/// The rate-limit class of a request: reads are queries whatever the route; a route marked
/// [`generation`] starts paid provider work with its other methods.
pub fn route_class(method: &Method, marked: Option<&RouteClass>) -> RouteClass {
    if matches!(*method, Method::GET | Method::HEAD) {
        RouteClass::Query
    } else if let Some(class) = marked {
        *class
    } else {
        RouteClass::Other
    }
}

/// Mounts `routes` under `policy`.
pub fn with_policy(routes: OpenApiRouter<AppState>, policy: Policy) -> OpenApiRouter<AppState> {
    routes.route_layer(Extension(policy))
}

/// Marks `routes` as starting paid provider work (runs, exports, regenerations): their
/// non-read methods are limited per hour unless the workspace has a membership.
pub fn generation(routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    routes.route_layer(Extension(RouteClass::Generation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_workspace_members_may_leave_but_only_managers_change_others() {
        assert_eq!(
            Policy::NamedWorkspaceMember.access(&Method::DELETE),
            Access::NamedWorkspace(Scope::Write, Permission::Read)
        );
        assert_eq!(
            Policy::NamedWorkspaceMember.access(&Method::PATCH),
            Access::NamedWorkspace(Scope::Write, Permission::Manage)
        );
        assert_eq!(
            Policy::NamedWorkspace.access(&Method::GET),
            Access::NamedWorkspace(Scope::Read, Permission::Read)
        );
        assert_eq!(
            Policy::NamedWorkspaceManage.access(&Method::GET),
            Access::NamedWorkspace(Scope::Read, Permission::Manage)
        );
    }

    #[test]
    fn reads_are_queries_even_on_a_generation_route() {
        let generation = Some(&RouteClass::Generation);
        assert_eq!(route_class(&Method::GET, generation), RouteClass::Query);
        assert_eq!(
            route_class(&Method::POST, generation),
            RouteClass::Generation
        );
        assert_eq!(route_class(&Method::POST, None), RouteClass::Other);
    }
}
