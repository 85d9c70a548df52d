using System.Security.Claims;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces;

/// <summary>
/// The signed-in account behind a portal action, re-read from the database (not trusted from the cookie's
/// claims) so a removed role or admin membership takes effect on the next call.
/// </summary>
internal sealed record PortalActor(string UserId, string Email, string DisplayName, bool IsCustomerSuccess)
{
    public static async Task<PortalActor> RequireAsync(PortalDbContext db, ClaimsPrincipal principal, CancellationToken ct)
    {
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new UnauthorizedAccessException("Sign in to manage workspaces.");
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Email, u.UserName, u.DisplayName }).FirstOrDefaultAsync(ct)
            ?? throw new UnauthorizedAccessException("Sign in to manage workspaces.");
        var isCs = await db.UserRoles.AnyAsync(
            ur => ur.UserId == userId && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.CustomerSuccess), ct);
        return new PortalActor(userId, user.Email ?? user.UserName ?? userId, user.DisplayName, isCs);
    }

    public Task<bool> IsAdminOfAsync(PortalDbContext db, Guid workspaceId, CancellationToken ct) =>
        db.WorkspaceAdmins.AnyAsync(a => a.UserId == UserId && a.WorkspaceId == workspaceId, ct);
}
