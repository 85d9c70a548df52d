using System.Security.Claims;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces;

/// <summary>
/// The signed-in account behind a portal action, re-read from the database (not trusted from the cookie's
/// claims) so a removed role or admin membership takes effect on the next call.
/// </summary>
/// <param name="IsCustomerSuccessLead">In both the CustomerSuccess and the CustomerSuccessLead role.</param>
internal sealed record PortalActor(string UserId, string Email, string DisplayName, bool IsCustomerSuccess, bool IsCustomerSuccessLead = false)
{
    public static async Task<PortalActor> RequireAsync(PortalDbContext db, ClaimsPrincipal principal, CancellationToken ct)
    {
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new UnauthorizedAccessException("Sign in to manage workspaces.");
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Email, u.UserName, u.DisplayName }).FirstOrDefaultAsync(ct)
            ?? throw new UnauthorizedAccessException("Sign in to manage workspaces.");
        var roles = await db.UserRoles.Where(ur => ur.UserId == userId)
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name)
            .Where(n => n == Roles.CustomerSuccess || n == Roles.CustomerSuccessLead)
            .ToListAsync(ct);
        var isCs = roles.Contains(Roles.CustomerSuccess);
        return new PortalActor(userId, user.Email ?? user.UserName ?? userId, user.DisplayName, isCs, isCs && roles.Contains(Roles.CustomerSuccessLead));
    }

    /// <summary>
    /// May switch SCIM for the workspace whose assigned CSM is <paramref name="assignedCsmId"/>: a lead for every
    /// workspace, other CustomerSuccess accounts only for the workspaces assigned to them.
    /// </summary>
    public bool MayToggleScim(string? assignedCsmId) => MayOversee(assignedCsmId);

    /// <summary>
    /// Customer Success oversight of one workspace (read its provisioning log, switch its SCIM): a lead for every
    /// workspace, other CustomerSuccess accounts only for the workspaces assigned to them.
    /// </summary>
    public bool MayOversee(string? assignedCsmId) => IsCustomerSuccessLead || (IsCustomerSuccess && assignedCsmId == UserId);

    public Task<bool> IsAdminOfAsync(PortalDbContext db, Guid workspaceId, CancellationToken ct) =>
        db.WorkspaceAdmins.AnyAsync(a => a.UserId == UserId && a.WorkspaceId == workspaceId, ct);
}
