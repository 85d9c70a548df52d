using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces;

/// <summary>How the members list is ordered. Each key is served by an index on (WorkspaceId, key[, Id]).</summary>
public enum MemberSort
{
    UserName,
    DisplayName,
    Status,
    Created,
}

/// <summary>
/// One page request of the members list: search text, status (<paramref name="Active"/>: null = all) and group
/// (direct membership; null = any) filters, ordering and paging, all applied in SQL.
/// </summary>
public sealed record MemberQuery(string? Search, MemberSort Sort, bool Descending, int Page, int PageSize, bool? Active = null, Guid? GroupId = null);

public sealed record GroupRef(Guid Id, string DisplayName);

/// <summary>A row of the members list.</summary>
public sealed record MemberRow(Guid Id, string UserName, string? DisplayName, string? PrimaryEmail, bool Active, IReadOnlyList<GroupRef> Groups);

public sealed record PageOf<T>(IReadOnlyList<T> Items, int TotalItems);

/// <summary>A row of the groups list, with its member count computed in SQL.</summary>
public sealed record GroupRow(Guid Id, string DisplayName, string? ExternalId, int MemberCount, DateTime LastModified);

/// <summary>A member of a group: a user, or a nested group.</summary>
public sealed record GroupMemberRow(Guid Id, GroupMemberType Type, string Display, string? UserName, bool? Active);

/// <summary>
/// The portal's read side of a workspace's provisioned users and groups. Translates list requests (search,
/// sort, page) into SQL on an indexed ordering and loads the visible page's emails and groups in one query each,
/// so a page costs the same with 6 members or 100,000. Every query starts with the workspace predicate.
/// </summary>
public sealed class MemberDirectory(IDbContextFactory<PortalDbContext> dbFactory)
{
    public const int MaxPageSize = 100;
    internal const string LikeEscape = "\\";

    /// <summary>
    /// A LIKE pattern matching <paramref name="text"/> anywhere, with LIKE's own wildcards escaped, folded for a column
    /// compared as <c>upper(column)</c> (<see cref="CaseFolding"/>: case-insensitive alike on SQLite and PostgreSQL).
    /// </summary>
    internal static string ContainsPattern(string text) => CaseFolding.AsciiUpper("%" + ProvisioningLog.EscapeLike(text.Trim()) + "%");

    /// <summary>The workspace id for a slug, or null when there is none.</summary>
    public async Task<Guid?> WorkspaceIdAsync(string slug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Workspaces.Where(w => w.Slug == slug).Select(w => (Guid?)w.Id).SingleOrDefaultAsync(ct);
    }

    public async Task<PageOf<MemberRow>> MembersAsync(Guid workspaceId, MemberQuery query, CancellationToken ct = default)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, MaxPageSize);
        var page = Math.Max(query.Page, 0);
        await using var db = await dbFactory.CreateDbContextAsync(ct);

        var members = Filter(db, workspaceId, query);
        var total = await members.CountAsync(ct);
        var rows = await Order(members, query.Sort, query.Descending)
            .Skip(page * pageSize)
            .Take(pageSize)
            .Select(m => new { m.Id, m.UserName, m.DisplayName, m.Active })
            .ToListAsync(ct);

        var ids = rows.Select(r => r.Id).ToList();

        // One query for the page's primary (or first) emails, one for the page's groups: never one per row.
        var emails = (await db.MemberValues.AsNoTracking()
                .Where(v => ids.Contains(v.MemberId) && v.Kind == MemberValueKind.Email)
                .Select(v => new { v.MemberId, v.Value, v.Primary, v.Ordinal })
                .ToListAsync(ct))
            .GroupBy(v => v.MemberId)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(v => v.Primary).ThenBy(v => v.Ordinal).First().Value);
        var groups = (await (
                from gm in db.GroupMemberships.AsNoTracking()
                join g in db.Groups on gm.GroupId equals g.Id
                where ids.Contains(gm.MemberId) && gm.MemberType == GroupMemberType.User && g.WorkspaceId == workspaceId
                select new { gm.MemberId, g.Id, g.DisplayName })
                .ToListAsync(ct))
            .ToLookup(x => x.MemberId, x => new GroupRef(x.Id, x.DisplayName));

        var items = rows.Select(r => new MemberRow(
                r.Id, r.UserName, r.DisplayName, emails.GetValueOrDefault(r.Id), r.Active,
                groups[r.Id].OrderBy(g => g.DisplayName, StringComparer.OrdinalIgnoreCase).ToList()))
            .ToList();
        return new PageOf<MemberRow>(items, total);
    }

    /// <summary>The SQL the members page runs for a request (for query-plan tests and diagnostics).</summary>
    public async Task<string> MembersSqlAsync(Guid workspaceId, MemberQuery query, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return Order(Filter(db, workspaceId, query), query.Sort, query.Descending)
            .Skip(Math.Max(query.Page, 0) * query.PageSize).Take(query.PageSize)
            .Select(m => new { m.Id, m.UserName, m.DisplayName, m.Active })
            .ToQueryString();
    }

    /// <summary>Everything stored about one member of the workspace, for the detail drawer; null when not in this workspace.</summary>
    public async Task<MemberDetail?> MemberAsync(Guid workspaceId, Guid memberId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var member = await db.Members.AsNoTracking()
            .Include(m => m.Values)
            .Include(m => m.Addresses)
            .AsSplitQuery()
            .SingleOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.Id == memberId, ct);
        if (member is null)
        {
            return null;
        }

        var manager = member.ManagerId is { } managerId
            ? await db.Members.AsNoTracking()
                .Where(m => m.WorkspaceId == workspaceId && m.Id == managerId)
                .Select(m => new ManagerRef(m.Id, m.UserName, m.DisplayName))
                .SingleOrDefaultAsync(ct)
            : null;
        var groups = await (
                from gm in db.GroupMemberships.AsNoTracking()
                join g in db.Groups on gm.GroupId equals g.Id
                where gm.MemberId == memberId && gm.MemberType == GroupMemberType.User && g.WorkspaceId == workspaceId
                orderby g.DisplayName
                select new GroupRef(g.Id, g.DisplayName))
            .ToListAsync(ct);
        var baseUrl = await db.Workspaces.Where(w => w.Id == workspaceId).Select(w => w.PublicUrl).SingleAsync(ct);
        var location = baseUrl.TrimEnd('/') + "/scim/v2/Users/" + member.Id;
        return new MemberDetail(
            member.Id, member.UserName, member.DisplayName, member.Active,
            MemberAttributes.Describe(member, manager, groups, location));
    }

    /// <summary>The workspace's groups with member counts computed in SQL, ordered by name, paged.</summary>
    public async Task<PageOf<GroupRow>> GroupsAsync(Guid workspaceId, string? search, int page, int pageSize, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var groups = db.Groups.AsNoTracking().Where(g => g.WorkspaceId == workspaceId);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = ContainsPattern(search);
#pragma warning disable CA1304, CA1311 // string.ToUpper() here is translated to SQL upper() (CaseFolding), never run in .NET
            groups = groups.Where(g => EF.Functions.Like(g.DisplayName.ToUpper(), pattern, LikeEscape));
#pragma warning restore CA1304, CA1311
        }

        var total = await groups.CountAsync(ct);
        var rows = await groups
            .OrderBy(g => g.NormalizedDisplayName)
            .Skip(Math.Max(page, 0) * pageSize)
            .Take(pageSize)
            .Select(g => new GroupRow(
                g.Id, g.DisplayName, g.ExternalId,
                db.GroupMemberships.Count(m => m.GroupId == g.Id),
                g.LastModified))
            .ToListAsync(ct);
        return new PageOf<GroupRow>(rows, total);
    }

    /// <summary>One page of a group's members (users and nested groups), users by userName then groups by name.</summary>
    public async Task<PageOf<GroupMemberRow>> GroupMembersAsync(Guid workspaceId, Guid groupId, int page, int pageSize, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var memberships = db.GroupMemberships.AsNoTracking().Where(m => m.GroupId == groupId && m.WorkspaceId == workspaceId);
        var total = await memberships.CountAsync(ct);

        var users = from gm in memberships
                    join m in db.Members on gm.MemberId equals m.Id
                    where gm.MemberType == GroupMemberType.User && m.WorkspaceId == workspaceId
                    select new { m.Id, Type = GroupMemberType.User, Key = m.NormalizedUserName, Display = m.DisplayName ?? m.UserName, UserName = (string?)m.UserName, Active = (bool?)m.Active };
        var nested = from gm in memberships
                     join g in db.Groups on gm.MemberId equals g.Id
                     where gm.MemberType == GroupMemberType.Group && g.WorkspaceId == workspaceId
                     select new { g.Id, Type = GroupMemberType.Group, Key = g.NormalizedDisplayName, Display = g.DisplayName, UserName = (string?)null, Active = (bool?)null };
        var rows = await users.Concat(nested)
            .OrderBy(x => x.Type).ThenBy(x => x.Key)
            .Skip(Math.Max(page, 0) * pageSize)
            .Take(pageSize)
            .ToListAsync(ct);
        return new PageOf<GroupMemberRow>(rows.Select(r => new GroupMemberRow(r.Id, r.Type, r.Display, r.UserName, r.Active)).ToList(), total);
    }

    private static IQueryable<WorkspaceMember> Filter(PortalDbContext db, Guid workspaceId, MemberQuery query)
    {
        var members = db.Members.AsNoTracking().Where(m => m.WorkspaceId == workspaceId);
        if (query.Active is { } active)
        {
            members = members.Where(m => m.Active == active);
        }

        if (query.GroupId is { } groupId)
        {
            members = members.Where(m => db.GroupMemberships.Any(gm =>
                gm.WorkspaceId == workspaceId && gm.GroupId == groupId && gm.MemberId == m.Id && gm.MemberType == GroupMemberType.User));
        }

        var search = query.Search;
        if (string.IsNullOrWhiteSpace(search))
        {
            return members;
        }

        // Case-insensitive on both providers (upper() of the column, the pattern folded alike); % and _ match literally.
        var pattern = ContainsPattern(search);
#pragma warning disable CA1304, CA1311 // string.ToUpper() here is translated to SQL upper() (CaseFolding), never run in .NET
        return members.Where(m =>
            EF.Functions.Like(m.UserName.ToUpper(), pattern, LikeEscape)
            || EF.Functions.Like(m.DisplayName!.ToUpper(), pattern, LikeEscape)
            || EF.Functions.Like(m.ExternalId!.ToUpper(), pattern, LikeEscape)
            || db.MemberValues.Any(v => v.MemberId == m.Id && v.Kind == MemberValueKind.Email && EF.Functions.Like(v.Value!.ToUpper(), pattern, LikeEscape)));
#pragma warning restore CA1304, CA1311
    }

    private static IQueryable<WorkspaceMember> Order(IQueryable<WorkspaceMember> members, MemberSort sort, bool descending) => (sort, descending) switch
    {
        (MemberSort.DisplayName, false) => members.OrderBy(m => m.DisplayName).ThenBy(m => m.Id),
        (MemberSort.DisplayName, true) => members.OrderByDescending(m => m.DisplayName).ThenByDescending(m => m.Id),
        (MemberSort.Status, false) => members.OrderBy(m => m.Active).ThenBy(m => m.NormalizedUserName),
        (MemberSort.Status, true) => members.OrderByDescending(m => m.Active).ThenByDescending(m => m.NormalizedUserName),
        (MemberSort.Created, false) => members.OrderBy(m => m.Created).ThenBy(m => m.Id),
        (MemberSort.Created, true) => members.OrderByDescending(m => m.Created).ThenByDescending(m => m.Id),
        (_, false) => members.OrderBy(m => m.NormalizedUserName),
        (_, true) => members.OrderByDescending(m => m.NormalizedUserName),
    };
}

public sealed record ManagerRef(Guid Id, string UserName, string? DisplayName);

/// <summary>A member as the detail drawer shows it: every SCIM attribute, grouped by schema.</summary>
public sealed record MemberDetail(Guid Id, string UserName, string? DisplayName, bool Active, IReadOnlyList<AttributeSection> Sections);
