using System.Security.Claims;

using IdeaScale.Portal.Workspaces.ProvisioningHealth;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces;

/// <summary>A workspace as the dashboard and switcher show it.</summary>
/// <param name="Health">The SCIM connection status, when asked for (the dashboard cards).</param>
public sealed record WorkspaceSummary(Guid Id, string Slug, string Name, string PublicUrl, bool SsoActive, bool ScimEnabled, bool IsAdmin, WorkspaceHealth? Health = null);

/// <summary>Answers which workspaces a signed-in portal account may manage. Enforced on the server for every page.</summary>
public sealed class WorkspaceAccess(IDbContextFactory<PortalDbContext> dbFactory, WorkspaceHealthQuery health)
{
    /// <summary>
    /// Workspaces the account administers, plus, for customer-success staff, the workspaces assigned to them; with
    /// <paramref name="withHealth"/> each one's SCIM connection status too (one set of aggregate queries for all).
    /// </summary>
    public async Task<IReadOnlyList<WorkspaceSummary>> ManageableAsync(ClaimsPrincipal principal, bool withHealth = false, CancellationToken ct = default)
    {
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null)
        {
            return [];
        }

        var isCsm = principal.IsInRole(Roles.CustomerSuccess);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspaces = await db.Workspaces.AsNoTracking()
            .Where(w => w.Admins.Any(a => a.UserId == userId) || (isCsm && w.CustomerSuccessManagerId == userId))
            .OrderBy(w => w.Name)
            .Select(w => new WorkspaceSummary(
                w.Id, w.Slug, w.Name, w.PublicUrl,
                w.Sso != null && w.Sso.Active,
                w.Scim != null && w.Scim.Enabled,
                w.Admins.Any(a => a.UserId == userId),
                null))
            .ToListAsync(ct);
        if (!withHealth || workspaces.Count == 0)
        {
            return workspaces;
        }

        var statuses = await health.ForAsync(db, workspaces.Select(w => w.Id).ToList(), ct);
        return [.. workspaces.Select(w => w with { Health = statuses[w.Id] })];
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
