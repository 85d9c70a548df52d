using System.Security.Claims;

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Security;

/// <summary>Requirement: the signed-in account administers the workspace named by the route's {slug}.</summary>
public sealed class WorkspaceAdminRequirement : IAuthorizationRequirement;

/// <summary>
/// Resource-based check for workspace pages. Blazor's AuthorizeRouteView passes the page's RouteData
/// as the resource (interactive navigation), and static requests pass the <see cref="HttpContext"/>; either way the
/// {slug} route value is checked against the account's admin memberships in the database, on the server.
/// </summary>
public sealed class WorkspaceAdminHandler(IDbContextFactory<PortalDbContext> dbFactory) : AuthorizationHandler<WorkspaceAdminRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, WorkspaceAdminRequirement requirement)
    {
        var slug = Slug(context.Resource);
        var userId = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        if (slug is null || userId is null)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        if (await db.WorkspaceAdmins.AnyAsync(a => a.UserId == userId && a.Workspace!.Slug == slug))
        {
            context.Succeed(requirement);
        }
    }

    /// <summary>The workspace slug of the resource being authorized (route data, a request, or the slug itself).</summary>
    internal static string? Slug(object? resource) => resource switch
    {
        // Component route values are keyed by the template's spelling ({slug} or {Slug}); match either.
        Microsoft.AspNetCore.Components.RouteData route => route.RouteValues.FirstOrDefault(kv => string.Equals(kv.Key, "slug", StringComparison.OrdinalIgnoreCase)).Value as string,
        HttpContext http => http.GetRouteValue("slug") as string,
        string s => s,
        _ => null,
    };
}

/// <summary>
/// Requirement: the signed-in account may read the provisioning log of the workspace in the route's {slug}: an admin
/// of it, or (read-only) its assigned Customer Success Manager or a Customer Success lead, with the CSM's
/// authenticator enrolled when <see cref="CsmTwoFactorHandler.Required"/> (as for the console).
/// </summary>
public sealed class WorkspaceLogReaderRequirement : IAuthorizationRequirement;

/// <summary>Checks <see cref="WorkspaceLogReaderRequirement"/> against the database (roles and assignment are re-read, never trusted from the cookie).</summary>
public sealed class WorkspaceLogReaderHandler(IDbContextFactory<PortalDbContext> dbFactory, CsmTwoFactorHandler twoFactor)
    : AuthorizationHandler<WorkspaceLogReaderRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, WorkspaceLogReaderRequirement requirement)
    {
        var slug = WorkspaceAdminHandler.Slug(context.Resource);
        var userId = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        if (slug is null || userId is null)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var ws = await db.Workspaces.AsNoTracking().Where(w => w.Slug == slug)
            .Select(w => new { IsAdmin = w.Admins.Any(a => a.UserId == userId), w.CustomerSuccessManagerId }).FirstOrDefaultAsync();
        if (ws is null)
        {
            return;
        }

        if (ws.IsAdmin)
        {
            context.Succeed(requirement);
            return;
        }

        var actor = await Workspaces.PortalActor.RequireAsync(db, context.User, default);
        if (actor.MayOversee(ws.CustomerSuccessManagerId)
            && (!twoFactor.Required || await db.Users.AnyAsync(u => u.Id == userId && u.TwoFactorEnabled)))
        {
            context.Succeed(requirement);
        }
    }
}
