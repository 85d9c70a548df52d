using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>A group a user belongs to, as the user's groups attribute shows it.</summary>
public sealed record UserGroupRef(Guid Id, string DisplayName);

/// <summary>
/// Compiled EF queries of the single-user paths (GET /Users/{id}, the answer to POST/PUT/PATCH). A LINQ query
/// builds, hashes and parameterises its expression tree on every execution; a compiled one does that once, which
/// is most of the cost of a one-row query (measured by IdeaScale.Benchmarks).
/// </summary>
internal static class UserQueries
{
    /// <summary>
    /// A user with its multi-valued rows in one statement (LEFT JOINs: a user has a handful of values and rarely
    /// more than one address, so the join multiplies few rows), for GET /Users/{id}.
    /// </summary>
    public static readonly Func<PortalDbContext, Guid, Guid, CancellationToken, Task<WorkspaceMember?>> WithRowsById =
        EF.CompileAsyncQuery((PortalDbContext db, Guid workspaceId, Guid id, CancellationToken ct) =>
            db.Members.AsNoTracking().Include(m => m.Values).Include(m => m.Addresses).AsSingleQuery()
                .SingleOrDefault(m => m.WorkspaceId == workspaceId && m.Id == id));

    /// <summary>The user with this normalised userName, with its rows: the lookup IdPs run for every user on every sync.</summary>
    public static readonly Func<PortalDbContext, Guid, string, CancellationToken, Task<WorkspaceMember?>> WithRowsByUserName =
        EF.CompileAsyncQuery((PortalDbContext db, Guid workspaceId, string normalizedUserName, CancellationToken ct) =>
            db.Members.AsNoTracking().Include(m => m.Values).Include(m => m.Addresses).AsSingleQuery()
                .SingleOrDefault(m => m.WorkspaceId == workspaceId && m.NormalizedUserName == normalizedUserName));

    public static readonly Func<PortalDbContext, Guid, IAsyncEnumerable<UserGroupRef>> Groups =
        EF.CompileAsyncQuery((PortalDbContext db, Guid memberId) =>
            from gm in db.GroupMemberships
            where gm.MemberId == memberId
            join g in db.Groups on gm.GroupId equals g.Id
            orderby g.DisplayName
            select new UserGroupRef(g.Id, g.DisplayName));

    public static readonly Func<PortalDbContext, Guid, Guid, CancellationToken, Task<string?>> ManagerDisplay =
        EF.CompileAsyncQuery((PortalDbContext db, Guid workspaceId, Guid managerId, CancellationToken ct) =>
            db.Members.Where(m => m.WorkspaceId == workspaceId && m.Id == managerId).Select(m => m.DisplayName ?? m.UserName).FirstOrDefault());

    /// <summary>
    /// A user to change (PUT/PATCH), tracked, with its value and address rows in the same statement: a user has a
    /// handful of each, so their product is small and one round trip beats three.
    /// </summary>
    public static readonly Func<PortalDbContext, Guid, Guid, CancellationToken, Task<WorkspaceMember?>> ForUpdate =
        EF.CompileAsyncQuery((PortalDbContext db, Guid workspaceId, Guid id, CancellationToken ct) =>
            db.Members.Include(m => m.Values).Include(m => m.Addresses).AsSingleQuery().SingleOrDefault(m => m.WorkspaceId == workspaceId && m.Id == id));
}
