using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>A group a user belongs to, as the user's groups attribute shows it.</summary>
public sealed record UserGroupRef(Guid Id, string DisplayName);

/// <summary>
/// Compiled EF queries of the write paths (the user to change, the answer to POST/PUT/PATCH; the reads IdPs run
/// most go through <see cref="UserReader"/>). A LINQ query
/// builds, hashes and parameterises its expression tree on every execution; a compiled one does that once, which
/// is most of the cost of a one-row query (measured by IdeaScale.Benchmarks).
/// </summary>
internal static class UserQueries
{
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
