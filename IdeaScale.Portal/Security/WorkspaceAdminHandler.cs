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
        var slug = context.Resource switch
        {
            // Component route values are keyed by the template's spelling ({slug} or {Slug}); match either.
            Microsoft.AspNetCore.Components.RouteData route => route.RouteValues.FirstOrDefault(kv => string.Equals(kv.Key, "slug", StringComparison.OrdinalIgnoreCase)).Value as string,
            HttpContext http => http.GetRouteValue("slug") as string,
            string s => s,
            _ => null,
        };
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
}
