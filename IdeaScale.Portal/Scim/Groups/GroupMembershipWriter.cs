using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Patching;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Groups;

/// <summary>
/// Applies membership deltas to <see cref="GroupMembership"/> rows set-wise: removals are one DELETE of the listed
/// rows, additions insert only the rows that are missing (found by querying the listed ids, never the member
/// list). Must run inside the caller's transaction, before its SaveChanges, so a PATCH applies all or nothing.
/// Member ids must be users or groups of the same workspace (else 400 invalidValue).
/// </summary>
public sealed class GroupMembershipWriter(PortalDbContext db, TimeProvider time)
{
    private readonly Dictionary<Guid, GroupMembership> pending = [];

    public List<string> Added { get; } = [];
    public List<string> Removed { get; } = [];
    public bool RemovedAll { get; private set; }

    public async Task ApplyAsync(WorkspaceGroup group, IEnumerable<MemberDelta> deltas, CancellationToken ct)
    {
        foreach (var delta in deltas)
        {
            switch (delta.Kind)
            {
                case MemberDeltaKind.Add:
                    await AddAsync(group, await ResolveAsync(group, delta.Ids, ct), ct);
                    break;
                case MemberDeltaKind.Remove:
                    var ids = Parse(delta.Ids);
                    foreach (var id in ids)
                    {
                        Unpend(id);
                    }

                    await db.GroupMemberships.Where(m => m.GroupId == group.Id && ids.Contains(m.MemberId)).ExecuteDeleteAsync(ct);
                    Removed.AddRange(ids.Select(i => i.ToString()));
                    break;
                case MemberDeltaKind.RemoveAll:
                    foreach (var id in pending.Keys.ToList())
                    {
                        Unpend(id);
                    }

                    await db.GroupMemberships.Where(m => m.GroupId == group.Id).ExecuteDeleteAsync(ct);
                    RemovedAll = true;
                    break;
                case MemberDeltaKind.Replace:
                    var members = await ResolveAsync(group, delta.Ids, ct);
                    var keep = members.Keys.ToList();
                    foreach (var id in pending.Keys.Where(k => !keep.Contains(k)).ToList())
                    {
                        Unpend(id);
                    }

                    await db.GroupMemberships.Where(m => m.GroupId == group.Id && !keep.Contains(m.MemberId)).ExecuteDeleteAsync(ct);
                    RemovedAll = true;
                    await AddAsync(group, members, ct);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown delta {delta.Kind}.");
            }
        }
    }

    public bool Changed => Added.Count > 0 || Removed.Count > 0 || RemovedAll;

    public string Summary() => string.Join("; ", new[]
    {
        RemovedAll ? "members replaced" : null,
        Added.Count > 0 ? "added " + string.Join(", ", Added) : null,
        Removed.Count > 0 ? "removed " + string.Join(", ", Removed) : null,
    }.Where(s => s is not null));

    private async Task AddAsync(WorkspaceGroup group, Dictionary<Guid, GroupMemberType> members, CancellationToken ct)
    {
        var ids = members.Keys.ToList();
        var existing = await db.GroupMemberships.Where(m => m.GroupId == group.Id && ids.Contains(m.MemberId)).Select(m => m.MemberId).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var (id, type) in members)
        {
            if (existing.Contains(id) || pending.ContainsKey(id))
            {
                continue;
            }

            var row = new GroupMembership { GroupId = group.Id, MemberId = id, MemberType = type, WorkspaceId = group.WorkspaceId, Created = now };
            pending[id] = row;
            db.GroupMemberships.Add(row);
            Added.Add(id.ToString());
        }
    }

    private void Unpend(Guid id)
    {
        if (pending.Remove(id, out var row))
        {
            db.Entry(row).State = EntityState.Detached;
            Added.Remove(id.ToString());
        }
    }

    /// <summary>Checks that every id is a user or group of the group's workspace (and not the group itself).</summary>
    private async Task<Dictionary<Guid, GroupMemberType>> ResolveAsync(WorkspaceGroup group, IReadOnlyList<string> values, CancellationToken ct)
    {
        var ids = Parse(values);
        var ws = group.WorkspaceId;
        var users = await db.Members.Where(m => m.WorkspaceId == ws && ids.Contains(m.Id)).Select(m => m.Id).ToListAsync(ct);
        var groups = await db.Groups.Where(g => g.WorkspaceId == ws && ids.Contains(g.Id)).Select(g => g.Id).ToListAsync(ct);
        var missing = ids.Where(i => !users.Contains(i) && !groups.Contains(i)).ToList();
        if (missing.Count > 0 || ids.Contains(group.Id))
        {
            var bad = missing.Count > 0 ? missing[0].ToString() : group.Id.ToString();
            throw ScimException.InvalidValue($"Member '{bad}' is not a user or another group of this workspace.");
        }

        return ids.ToDictionary(i => i, i => users.Contains(i) ? GroupMemberType.User : GroupMemberType.Group);
    }

    private static List<Guid> Parse(IReadOnlyList<string> values) =>
        values.Select(v => Guid.TryParse(v, out var g) ? g : throw ScimException.InvalidValue($"Member '{v}' is not a user or group id of this workspace."))
            .Distinct().ToList();
}
