using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>A group a user belongs to, as the user's groups attribute shows it.</summary>
public sealed record UserGroupRef(Guid Id, string DisplayName);

/// <summary>
/// Compiled EF queries of the write paths (a user's groups, a manager's name; the reads and writes IdPs run most go
/// through <see cref="UserReader"/> and <see cref="UserWriter"/>). A LINQ query
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
}
