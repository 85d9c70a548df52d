using System.Security.Claims;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces;

/// <summary>A workspace as the dashboard and switcher show it.</summary>
public sealed record WorkspaceSummary(Guid Id, string Slug, string Name, string PublicUrl, bool SsoActive, bool ScimEnabled, bool IsAdmin);

/// <summary>Answers which workspaces a signed-in portal account may manage. Enforced on the server for every page.</summary>
public sealed class WorkspaceAccess(IDbContextFactory<PortalDbContext> dbFactory)
{
    /// <summary>Workspaces the account administers, plus, for customer-success staff, the workspaces assigned to them.</summary>
    public async Task<IReadOnlyList<WorkspaceSummary>> ManageableAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null)
        {
            return [];
        }

        var isCsm = principal.IsInRole(Roles.CustomerSuccess);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Workspaces.AsNoTracking()
            .Where(w => w.Admins.Any(a => a.UserId == userId) || (isCsm && w.CustomerSuccessManagerId == userId))
            .OrderBy(w => w.Name)
            .Select(w => new WorkspaceSummary(
                w.Id, w.Slug, w.Name, w.PublicUrl,
                w.Sso != null && w.Sso.Active,
                w.Scim != null && w.Scim.Enabled,
                w.Admins.Any(a => a.UserId == userId)))
            .ToListAsync(ct);
    }

    /// <summary>True only when the account is an admin of the workspace with this slug.</summary>
    public async Task<bool> IsAdminAsync(ClaimsPrincipal principal, string slug, CancellationToken ct = default)
    {
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null)
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WorkspaceAdmins.AnyAsync(a => a.UserId == userId && a.Workspace!.Slug == slug, ct);
    }
}
