using System.Data.Common;
using System.Globalization;

using IdeaScale.Portal.Data.Interceptors;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Users;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdeaScale.Portal.Scim.Groups;

/// <summary>
/// The writes of /Groups (POST, PUT, PATCH) as prepared statements on a long-lived connection
/// (<see cref="ReadSessions"/>) in one write transaction, without EF Core's change tracker, LINQ and SaveChanges
/// pipeline: the group locked and loaded (PostgreSQL: <c>FOR UPDATE</c>; SQLite: the transaction holds the write
/// lock), the listed member ids resolved by primary key, the membership rows deleted and inserted, the Version (ETag)
/// and LastModified of exactly the users whose membership changes bumped, and the group's row written with EF's
/// optimistic concurrency semantics (a lost version check is a <see cref="DbUpdateConcurrencyException"/>). The SQL
/// is generated from the EF model (tables, columns, quoting, parameter syntax, each value bound through its
/// property's type mapping), so it follows the schema and the provider. Lists of ids are bound as IN lists of at most
/// <see cref="MaxIdsPerStatement"/> parameters, padded to a power of two (the last id repeated), so each statement
/// has a few texts, each prepared once per connection. Timestamps are whole microseconds, as the
/// <see cref="AuditStampInterceptor"/> stamps them. Singleton; one <see cref="Change"/> per write.
/// </summary>
public sealed class GroupMembershipWriter
{
    /// <summary>Ids bound per IN list (more are handled by further statements).</summary>
    internal const int MaxIdsPerStatement = 128;

    /// <summary>Membership rows per INSERT (padded lists are impossible here: sizes are powers of two up to this).</summary>
    internal const int MaxRowsPerInsert = 64;

    private readonly ReadSessions sessions;
    private readonly TimeProvider time;
    private readonly ISqlGenerationHelper sql;
    private readonly Func<DbDataReader, WorkspaceGroup> readGroup;
    private readonly IProperty[] groupColumns;
    private readonly IProperty[] membershipColumns;
    private readonly IProperty groupId;
    private readonly IProperty groupWorkspace;
    private readonly IProperty groupName;
    private readonly IProperty groupNormalized;
    private readonly IProperty groupExternalId;
    private readonly IProperty groupVersion;
    private readonly IProperty groupLastModified;
    private readonly IProperty userId;
    private readonly IProperty userLastModified;
    private readonly IProperty membershipGroup;
    private readonly IProperty membershipMember;

    private readonly string loadText;
    private readonly string nameTakenText;
    private readonly string updateGroupText;
    private readonly string insertGroupText;
    private readonly string bumpMembersOfText;
    private readonly string deleteAllText;
    private readonly string namesOfAllText;
    private readonly string membersOfText;
    private readonly string candidatesFormat;
    private readonly string bumpFormat;
    private readonly string deleteFormat;
    private readonly string insertHead;
    private readonly string[] idLists;
    private readonly string[] inserts;

    public GroupMembershipWriter(IDbContextFactory<PortalDbContext> contexts, ReadSessions sessions, TimeProvider time)
    {
        this.sessions = sessions;
        this.time = time;
        using var db = contexts.CreateDbContext();
        sql = db.GetService<ISqlGenerationHelper>();
        var model = db.Model;
        var groups = model.FindEntityType(typeof(WorkspaceGroup))!;
        var users = model.FindEntityType(typeof(WorkspaceMember))!;
        var memberships = model.FindEntityType(typeof(GroupMembership))!;

        string Table(IEntityType entity) => sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());
        string ColumnOf(IProperty property) =>
            sql.DelimitIdentifier(property.GetColumnName(StoreObjectIdentifier.Table(property.DeclaringType.ContainingEntityType.GetTableName()!, property.DeclaringType.ContainingEntityType.GetSchema()))!);
        string Column(IEntityType entity, string property) => ColumnOf(entity.FindProperty(property)!);

        groupColumns = UserReader.Stored(groups);
        membershipColumns = UserReader.Stored(memberships);
        readGroup = UserReader.Materializer<WorkspaceGroup>(groups);
        groupId = groups.FindProperty(nameof(WorkspaceGroup.Id))!;
        groupWorkspace = groups.FindProperty(nameof(WorkspaceGroup.WorkspaceId))!;
        groupName = groups.FindProperty(nameof(WorkspaceGroup.DisplayName))!;
        groupNormalized = groups.FindProperty(nameof(WorkspaceGroup.NormalizedDisplayName))!;
        groupExternalId = groups.FindProperty(nameof(WorkspaceGroup.ExternalId))!;
        groupVersion = groups.FindProperty(nameof(WorkspaceGroup.Version))!;
        groupLastModified = groups.FindProperty(nameof(WorkspaceGroup.LastModified))!;
        userId = users.FindProperty(nameof(WorkspaceMember.Id))!;
        userLastModified = users.FindProperty(nameof(WorkspaceMember.LastModified))!;
        membershipGroup = memberships.FindProperty(nameof(GroupMembership.GroupId))!;
        membershipMember = memberships.FindProperty(nameof(GroupMembership.MemberId))!;

        var g = Table(groups);
        var u = Table(users);
        var gm = Table(memberships);
        var gId = ColumnOf(groupId);
        var uId = ColumnOf(userId);
        var gmGroup = ColumnOf(membershipGroup);
        var gmMember = ColumnOf(membershipMember);
        var version = Column(users, nameof(WorkspaceMember.Version));

        // PostgreSQL: the row lock first, so concurrent writers of the group queue (SQLite's write transaction holds the database's lock).
        loadText = $"SELECT {string.Join(", ", groupColumns.Select(p => "g." + ColumnOf(p)))} FROM {g} AS g"
            + $" WHERE g.{ColumnOf(groupWorkspace)} = {P(0)} AND g.{gId} = {P(1)}" + (db.Database.IsNpgsql() ? " FOR UPDATE" : "");
        nameTakenText = $"SELECT 1 FROM {g} AS g WHERE g.{ColumnOf(groupWorkspace)} = {P(0)} AND g.{ColumnOf(groupNormalized)} = {P(1)} AND g.{gId} <> {P(2)}";
        updateGroupText = $"UPDATE {g} SET {ColumnOf(groupName)} = {P(0)}, {ColumnOf(groupNormalized)} = {P(1)}, {ColumnOf(groupExternalId)} = {P(2)},"
            + $" {ColumnOf(groupVersion)} = {P(3)}, {ColumnOf(groupLastModified)} = {P(4)} WHERE {gId} = {P(5)} AND {ColumnOf(groupVersion)} = {P(6)}";
        insertGroupText = $"INSERT INTO {g} ({string.Join(", ", groupColumns.Select(ColumnOf))}) VALUES ({string.Join(", ", groupColumns.Select((_, i) => P(i)))})";

        // The users among the group's members, found by primary key from its membership rows (the list is never read).
        var bumpHead = $"UPDATE {u} AS m SET {version} = {version} + 1, {ColumnOf(userLastModified)} = {P(0)} WHERE m.{uId} IN ";
        bumpMembersOfText = bumpHead + $"(SELECT gm.{gmMember} FROM {gm} AS gm WHERE gm.{gmGroup} = {P(1)})";
        bumpFormat = bumpHead + "({0})";
        deleteAllText = $"DELETE FROM {gm} WHERE {gmGroup} = {P(0)}";
        deleteFormat = $"DELETE FROM {gm} WHERE {gmGroup} = {P(0)} AND {gmMember} IN ({{0}})";

        // A member's name for the log: a user's userName, a group's displayName.
        var named = $"COALESCE(u.{Column(users, nameof(WorkspaceMember.UserName))}, mg.{Column(groups, nameof(WorkspaceGroup.DisplayName))}, '')"
            + $" FROM {gm} AS gm LEFT JOIN {u} AS u ON u.{uId} = gm.{gmMember} LEFT JOIN {g} AS mg ON mg.{gId} = gm.{gmMember}"
            + $" WHERE gm.{gmGroup} = {P(0)} ORDER BY gm.{gmMember}";
        namesOfAllText = "SELECT " + named + string.Create(CultureInfo.InvariantCulture, $" LIMIT {ProvisioningStory.MaxNames}");
        membersOfText = $"SELECT gm.{gmMember}, CASE WHEN u.{uId} IS NULL THEN 0 ELSE 1 END, " + named;

        // The listed ids, users and groups, each with its workspace, whether it is a member already (keyed by group
        // and member id) and its name. Looked up by primary key only; the workspace is compared in memory: with
        // "WorkspaceId = @ws AND Id IN (…)" SQLite chose to scan every user of the workspace (a 100,000-user workspace
        // took 13 ms per PATCH in IdeaScale.Benchmarks).
        string IsMember(string alias, string id) => $"CASE WHEN EXISTS (SELECT 1 FROM {gm} AS gm WHERE gm.{gmGroup} = {P(0)} AND gm.{gmMember} = {alias}.{id}) THEN 1 ELSE 0 END";
        candidatesFormat = $"SELECT m.{uId}, m.{Column(users, nameof(WorkspaceMember.WorkspaceId))}, 1, {IsMember("m", uId)}, m.{Column(users, nameof(WorkspaceMember.UserName))}"
            + $" FROM {u} AS m WHERE m.{uId} IN ({{0}})"
            + $" UNION ALL SELECT g.{gId}, g.{ColumnOf(groupWorkspace)}, 0, {IsMember("g", gId)}, g.{ColumnOf(groupName)}"
            + $" FROM {g} AS g WHERE g.{gId} IN ({{0}}) ORDER BY 1";
        insertHead = $"INSERT INTO {gm} ({string.Join(", ", membershipColumns.Select(ColumnOf))}) VALUES ";

        idLists = new string[MaxIdsPerStatement + 1];
        for (var n = 1; n <= MaxIdsPerStatement; n *= 2)
        {
            idLists[n] = string.Join(", ", Enumerable.Range(1, n).Select(P));
        }

        inserts = new string[MaxRowsPerInsert + 1];
        for (var n = 1; n <= MaxRowsPerInsert; n *= 2)
        {
            var columns = membershipColumns.Length;
            inserts[n] = insertHead + string.Join(", ", Enumerable.Range(0, n).Select(r => "(" + string.Join(", ", Enumerable.Range(r * columns, columns).Select(P)) + ")"));
        }
    }

    private string P(int index) => sql.GenerateParameterNamePlaceholder(string.Create(CultureInfo.InvariantCulture, $"p{index}"));

    private string Name(int index) => sql.GenerateParameterName(string.Create(CultureInfo.InvariantCulture, $"p{index}"));

    /// <summary>The write's time, in whole microseconds (PostgreSQL's precision), as the AuditStampInterceptor stamps it.</summary>
    public DateTime Now()
    {
        var now = time.GetUtcNow().UtcDateTime;
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>
    /// The write transaction of one POST, PUT or PATCH on a rented session (SQLite: BEGIN IMMEDIATE, the database's
    /// write lock; PostgreSQL: read committed, the load takes the group's row lock). See <see cref="UserWriter.Update"/>.
    /// </summary>
    public Task<UserWriter.Update> BeginAsync(CancellationToken ct) => UserWriter.Update.BeginAsync(sessions, ct);

    /// <summary>The group of the workspace to change, locked (PostgreSQL) and loaded, or null.</summary>
    public async Task<WorkspaceGroup?> LoadAsync(UserWriter.Update update, Guid workspaceId, Guid id, CancellationToken ct)
    {
        var command = Bind(update, loadText, [(groupWorkspace, workspaceId), (groupId, id)]);
        sessions.LogRead(loadText);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? readGroup(reader) : null;
    }

    /// <summary>409 uniqueness when another group of the workspace has this displayName (case-insensitively).</summary>
    public async Task CheckUniqueAsync(UserWriter.Update update, WorkspaceGroup group, string uniquenessDetail, CancellationToken ct)
    {
        var command = Bind(update, nameTakenText, [(groupWorkspace, group.WorkspaceId), (groupNormalized, AuditStampInterceptor.Normalize(group.DisplayName)), (groupId, group.Id)]);
        sessions.LogRead(nameTakenText);
        if (await command.ExecuteScalarAsync(ct) is not (null or DBNull))
        {
            throw ScimException.Uniqueness(uniquenessDetail);
        }
    }

    /// <summary>Inserts a new group stamped as the AuditStampInterceptor stamps an insert (version 1); a duplicate displayName is 409.</summary>
    public async Task InsertAsync(UserWriter.Update update, WorkspaceGroup group, DateTime now, string uniquenessDetail, CancellationToken ct)
    {
        group.NormalizedDisplayName = AuditStampInterceptor.Normalize(group.DisplayName);
        group.Created = now;
        group.LastModified = now;
        group.Version = 1;
        await UniqueAsync(ExecuteAsync(update, insertGroupText, [.. groupColumns.Select(p => (p, p.GetGetter().GetClrValue(group)))], ct), uniquenessDetail);
    }

    /// <summary>
    /// Writes the group's columns with the stamps of an update (version + 1, lastModified, the normalised
    /// displayName), checked against the version it was loaded with, as EF's concurrency token is: a lost check is a
    /// <see cref="DbUpdateConcurrencyException"/> (ResourceEndpoints retries from a fresh load). A duplicate
    /// displayName is 409 uniqueness.
    /// </summary>
    public async Task UpdateAsync(UserWriter.Update update, WorkspaceGroup group, long loadedVersion, DateTime now, string uniquenessDetail, CancellationToken ct)
    {
        group.NormalizedDisplayName = AuditStampInterceptor.Normalize(group.DisplayName);
        group.Version = loadedVersion + 1;
        group.LastModified = now;
        var rows = await UniqueAsync(ExecuteAsync(update, updateGroupText,
            [(groupName, group.DisplayName), (groupNormalized, group.NormalizedDisplayName), (groupExternalId, group.ExternalId),
             (groupVersion, group.Version), (groupLastModified, now), (groupId, group.Id), (groupVersion, loadedVersion)], ct), uniquenessDetail);
        if (rows != 1)
        {
            throw new DbUpdateConcurrencyException($"The group {group.Id} changed after it was loaded (version {loadedVersion}).");
        }
    }

    /// <summary>The membership change of one write of <paramref name="group"/>, in <paramref name="update"/>'s transaction.</summary>
    public Change Begin(UserWriter.Update update, WorkspaceGroup group, DateTime now) => new(this, update, group, now);

    private static async Task<int> UniqueAsync(Task<int> write, string uniquenessDetail)
    {
        try
        {
            return await write;
        }
        catch (DbException e) when (PortalDatabase.IsUniqueViolation(e))
        {
            throw ScimException.Uniqueness(uniquenessDetail);
        }
    }

    /// <summary>
    /// The prepared command for the text with these values, each bound through its property's type mapping; the
    /// command's own parameter objects get the new values (a prepared Npgsql command keeps the instances it was prepared with).
    /// </summary>
    private DbCommand Bind(UserWriter.Update update, string text, List<(IProperty Property, object? Value)> values)
    {
        var command = update.Session.Command(text, update.Transaction);
        var first = command.Parameters.Count == 0;
        for (var i = 0; i < values.Count; i++)
        {
            var (property, value) = values[i];
            var parameter = property.GetRelationalTypeMapping().CreateParameter(command, Name(i), value, property.IsNullable);
            if (first)
            {
                command.Parameters.Add(parameter);
            }
            else
            {
                command.Parameters[i].Value = parameter.Value;
            }
        }

        return command;
    }

    private Task<int> ExecuteAsync(UserWriter.Update update, string text, List<(IProperty Property, object? Value)> values, CancellationToken ct)
    {
        var command = Bind(update, text, values);
        sessions.LogWrite(text);
        return command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Runs <paramref name="format"/> (its <c>{0}</c> an IN list) for the ids in chunks of at most
    /// <see cref="MaxIdsPerStatement"/>, each padded to a power of two with its last id, after the leading values.
    /// </summary>
    private IEnumerable<(string Text, List<(IProperty, object?)> Values)> Chunks(string format, IReadOnlyList<Guid> ids, IProperty idProperty, params (IProperty, object?)[] leading)
    {
        for (var start = 0; start < ids.Count; start += MaxIdsPerStatement)
        {
            var count = Math.Min(MaxIdsPerStatement, ids.Count - start);
            var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count);
            var values = new List<(IProperty, object?)>(leading.Length + size);
            values.AddRange(leading);
            for (var i = 0; i < size; i++)
            {
                values.Add((idProperty, ids[start + Math.Min(i, count - 1)]));
            }

            yield return (string.Format(CultureInfo.InvariantCulture, format, idLists[size]), values);
        }
    }

    /// <summary>A listed member id: a user or a group, its workspace, whether it is in the group already, and its name (for the log).</summary>
    private sealed record Candidate(Guid Id, Guid WorkspaceId, GroupMemberType Type, bool IsMember, string Name);

    /// <summary>
    /// One write's membership deltas, applied in order: removals are DELETEs of the listed rows; additions are
    /// inserted by <see cref="InsertPendingAsync"/> (only rows that are missing, found by the statement that checks the
    /// listed ids), so a later removal in the same request drops them before they are written. Member ids must be
    /// users or groups of the same workspace (else 400 invalidValue), never the group itself. A user's representation
    /// shows its groups, so every delta also bumps the Version (ETag) and LastModified of exactly the users whose
    /// membership it changes. A user added and removed again by the same request is bumped although it ends where it
    /// started (a spare ETag change, never a missed one).
    /// </summary>
    public sealed class Change
    {
        private readonly GroupMembershipWriter owner;
        private readonly UserWriter.Update update;
        private readonly WorkspaceGroup group;
        private readonly DateTime now;
        private readonly Dictionary<Guid, (GroupMemberType Type, string Name)> pending = [];
        private readonly List<string> removedNames = [];
        private int removedCount;

        internal Change(GroupMembershipWriter owner, UserWriter.Update update, WorkspaceGroup group, DateTime now)
        {
            this.owner = owner;
            this.update = update;
            this.group = group;
            this.now = now;
        }

        /// <summary>The ids added, in the order listed (the rows pending until <see cref="InsertPendingAsync"/>).</summary>
        public List<Guid> Added { get; } = [];

        /// <summary>The ids listed for removal (members or not).</summary>
        public List<Guid> Removed { get; } = [];

        public bool RemovedAll { get; private set; }

        public bool Changed => Added.Count > 0 || Removed.Count > 0 || RemovedAll;

        public async Task ApplyAsync(IEnumerable<MemberDelta> deltas, CancellationToken ct)
        {
            foreach (var delta in deltas)
            {
                switch (delta.Kind)
                {
                    case MemberDeltaKind.Add:
                        await BumpAsync(Add(await ResolveAsync(delta.Ids, ct)), ct);
                        break;
                    case MemberDeltaKind.Remove:
                        var ids = Parse(delta.Ids);
                        foreach (var id in ids)
                        {
                            Unpend(id);
                        }

                        // Which of them are members (and their names, in key order), before the DELETE.
                        var members = (await CandidatesAsync(ids, ct)).Where(c => c.IsMember).ToList();
                        await BumpAsync([.. members.Where(m => m.Type == GroupMemberType.User).Select(m => m.Id)], ct);
                        Note(members.Select(m => m.Name));
                        if (members.Count > 0)
                        {
                            await DeleteAsync([.. members.Select(m => m.Id)], ct);
                        }

                        Removed.AddRange(ids);
                        break;
                    case MemberDeltaKind.RemoveAll:
                        foreach (var id in pending.Keys.ToList())
                        {
                            Unpend(id);
                        }

                        await BumpMembersAsync(ct);
                        if (ProvisioningStory.MaxNames > removedNames.Count)
                        {
                            Note(await NamesAsync(ct));
                        }

                        removedCount += await owner.ExecuteAsync(update, owner.deleteAllText, [(owner.membershipGroup, group.Id)], ct);
                        RemovedAll = true;
                        break;
                    case MemberDeltaKind.Replace:
                        // The listed members stay or join; every other member leaves. The current members are read:
                        // a replacement lists them all anyway.
                        var listed = await ResolveAsync(delta.Ids, ct);
                        var keep = listed.Select(m => m.Id).ToHashSet();
                        foreach (var id in pending.Keys.Where(k => !keep.Contains(k)).ToList())
                        {
                            Unpend(id);
                        }

                        var leaving = (await MembersAsync(ct)).Where(m => !keep.Contains(m.Id)).ToList();
                        var joining = listed.Where(m => m is { IsMember: false, Type: GroupMemberType.User } && !pending.ContainsKey(m.Id)).Select(m => m.Id);
                        await BumpAsync([.. leaving.Where(m => m.IsUser).Select(m => m.Id).Concat(joining)], ct);
                        Note(leaving.Select(m => m.Name));
                        await DeleteAsync([.. leaving.Select(m => m.Id)], ct);
                        RemovedAll = true;
                        Add(listed);
                        break;
                    default:
                        throw new InvalidOperationException($"Unknown delta {delta.Kind}.");
                }
            }
        }

        /// <summary>
        /// The Version (ETag) and LastModified of the group's users, whose groups attribute shows it (a rename): one
        /// UPDATE that finds them by primary key from the group's membership rows, never loading the list.
        /// </summary>
        public Task BumpMembersAsync(CancellationToken ct) =>
            owner.ExecuteAsync(update, owner.bumpMembersOfText, [(owner.userLastModified, now), (owner.membershipGroup, group.Id)], ct);

        /// <summary>Inserts the rows added, in the order listed.</summary>
        public async Task InsertPendingAsync(CancellationToken ct)
        {
            var rows = Added.ConvertAll(id => new GroupMembership
            {
                GroupId = group.Id,
                MemberId = id,
                MemberType = pending[id].Type,
                WorkspaceId = group.WorkspaceId,
                Created = now,
            });
            for (var start = 0; start < rows.Count;)
            {
                var size = Math.Min(MaxRowsPerInsert, 1 << System.Numerics.BitOperations.Log2((uint)(rows.Count - start)));
                var values = new List<(IProperty, object?)>(size * owner.membershipColumns.Length);
                for (var r = start; r < start + size; r++)
                {
                    values.AddRange(owner.membershipColumns.Select(p => (p, p.GetGetter().GetClrValue(rows[r]))));
                }

                await owner.ExecuteAsync(update, owner.inserts[size], values, ct);
                start += size;
            }
        }

        /// <summary>
        /// The memberships added and removed, by name (userName of a user, displayName of a group) as they were at the
        /// write, at most <see cref="ProvisioningStory.MaxNames"/> of each; the rest are counted. The names come with
        /// the statements that find the members: no query per member.
        /// </summary>
        public MembershipChange Story()
        {
            var added = Added.ConvertAll(i => pending[i].Name);
            var shownAdded = added.Take(ProvisioningStory.MaxNames).ToList();
            var shownRemoved = removedNames.Take(ProvisioningStory.MaxNames).ToList();
            return new MembershipChange(shownAdded, added.Count - shownAdded.Count, shownRemoved, Math.Max(0, removedCount - shownRemoved.Count),
                Replaced: RemovedAll && removedCount > 0);
        }

        private void Note(IEnumerable<string> names) => removedNames.AddRange(names.Take(ProvisioningStory.MaxNames - removedNames.Count));

        /// <summary>Pends the rows of the listed ids that are not members yet; returns the users among them (whose representation changes).</summary>
        private List<Guid> Add(List<Candidate> members)
        {
            var users = new List<Guid>();
            foreach (var (id, _, type, isMember, name) in members)
            {
                if (isMember || pending.ContainsKey(id))
                {
                    continue;
                }

                pending[id] = (type, name);
                Added.Add(id);
                if (type == GroupMemberType.User)
                {
                    users.Add(id);
                }
            }

            return users;
        }

        private void Unpend(Guid id)
        {
            if (pending.Remove(id))
            {
                Added.Remove(id);
            }
        }

        /// <summary>One UPDATE per chunk: the users' Version (their ETag) and LastModified, as a write of the user would set them.</summary>
        private async Task BumpAsync(List<Guid> users, CancellationToken ct)
        {
            foreach (var (text, values) in owner.Chunks(owner.bumpFormat, users, owner.userId, (owner.userLastModified, now)))
            {
                await owner.ExecuteAsync(update, text, values, ct);
            }
        }

        private async Task DeleteAsync(List<Guid> members, CancellationToken ct)
        {
            foreach (var (text, values) in owner.Chunks(owner.deleteFormat, members, owner.membershipMember, (owner.membershipGroup, group.Id)))
            {
                removedCount += await owner.ExecuteAsync(update, text, values, ct);
            }
        }

        /// <summary>The listed ids that are users or groups (of any workspace), in key order per chunk.</summary>
        private async Task<List<Candidate>> CandidatesAsync(List<Guid> ids, CancellationToken ct)
        {
            var found = new List<Candidate>(ids.Count);
            foreach (var (text, values) in owner.Chunks(owner.candidatesFormat, ids, owner.userId, (owner.membershipGroup, group.Id)))
            {
                var command = owner.Bind(update, text, values);
                owner.sessions.LogRead(text);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    found.Add(new Candidate(
                        reader.GetFieldValue<Guid>(0), reader.GetFieldValue<Guid>(1), reader.GetInt32(2) == 1 ? GroupMemberType.User : GroupMemberType.Group,
                        reader.GetInt32(3) == 1, reader.GetString(4)));
                }
            }

            return found;
        }

        /// <summary>Checks that every id is a user or group of the group's workspace (and not the group itself); in the order listed.</summary>
        private async Task<List<Candidate>> ResolveAsync(IReadOnlyList<string> values, CancellationToken ct)
        {
            var ids = Parse(values);
            var found = new Dictionary<Guid, Candidate>();
            foreach (var candidate in await CandidatesAsync(ids, ct))
            {
                // Another workspace's user or group is, for this workspace, an unknown id.
                if (candidate.WorkspaceId == group.WorkspaceId)
                {
                    found.TryAdd(candidate.Id, candidate);
                }
            }

            var missing = ids.Where(i => !found.ContainsKey(i)).ToList();
            if (missing.Count > 0 || ids.Contains(group.Id))
            {
                var bad = missing.Count > 0 ? missing[0].ToString() : group.Id.ToString();
                throw ScimException.InvalidValue($"Member '{bad}' is not a user or another group of this workspace.");
            }

            return ids.ConvertAll(i => found[i]);
        }

        /// <summary>The names of the first few members (all of them are about to be removed), in key order.</summary>
        private async Task<List<string>> NamesAsync(CancellationToken ct)
        {
            var command = owner.Bind(update, owner.namesOfAllText, [(owner.membershipGroup, group.Id)]);
            owner.sessions.LogRead(owner.namesOfAllText);
            var names = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                names.Add(reader.GetString(0));
            }

            return names;
        }

        /// <summary>Every member of the group in key order: its id, whether it is a user, its name.</summary>
        private async Task<List<(Guid Id, bool IsUser, string Name)>> MembersAsync(CancellationToken ct)
        {
            var command = owner.Bind(update, owner.membersOfText, [(owner.membershipGroup, group.Id)]);
            owner.sessions.LogRead(owner.membersOfText);
            var members = new List<(Guid, bool, string)>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                members.Add((reader.GetFieldValue<Guid>(0), reader.GetInt32(1) == 1, reader.GetString(2)));
            }

            return members;
        }

        private static List<Guid> Parse(IReadOnlyList<string> values) =>
            values.Select(v => Guid.TryParse(v, out var g) ? g : throw ScimException.InvalidValue($"Member '{v}' is not a user or group id of this workspace."))
                .Distinct().ToList();
    }
}
