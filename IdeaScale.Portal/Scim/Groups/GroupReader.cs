using System.Data.Common;
using System.Globalization;

using IdeaScale.Portal.Scim.Users;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdeaScale.Portal.Scim.Groups;

/// <summary>
/// Reads groups and their members for responses with bounded memory, on a long-lived read connection
/// (<see cref="ReadSessions"/>) in one read transaction, so a group's version (ETag) and the members written with it
/// come from one snapshot. Members are read in key order (the membership key, group then member id) in batches of
/// at most <see cref="BatchSize"/> rows, each batch continuing after the last member id of the previous one (keyset,
/// never OFFSET): however large the group, no statement returns more than a batch, and the rows go straight to the
/// response writer. The SQL is generated from the EF model (tables, columns, quoting, parameters bound through each
/// property's type mapping), so it follows the schema and the provider.
/// </summary>
public sealed partial class GroupReader
{
    /// <summary>Config key of the member batch size.</summary>
    public const string BatchSizeKey = "Scim:GroupMemberBatchSize";
    public const int DefaultBatchSize = 1000;

    private readonly ReadSessions sessions;
    private readonly ILogger<GroupReader> logger;
    private readonly ISqlGenerationHelper sql;
    private readonly IProperty workspaceProperty;
    private readonly IProperty idProperty;
    private readonly IProperty membershipGroup;
    private readonly IProperty membershipMember;
    private readonly bool memberTypeStoredAsInt;
    private readonly IProperty[] groupColumns;
    private readonly Func<DbDataReader, WorkspaceGroup> readGroup;
    private readonly string groupText;
    private readonly string firstBatchText;
    private readonly string nextBatchText;

    public GroupReader(IDbContextFactory<PortalDbContext> contexts, ReadSessions sessions, IConfiguration configuration, ILogger<GroupReader> logger)
    {
        this.sessions = sessions;
        this.logger = logger;
        BatchSize = configuration.GetValue(BatchSizeKey, DefaultBatchSize) is var size && size > 0 ? size : DefaultBatchSize;
        using var db = contexts.CreateDbContext();
        sql = db.GetService<ISqlGenerationHelper>();
        var model = db.Model;
        var groups = model.FindEntityType(typeof(WorkspaceGroup))!;
        var memberships = model.FindEntityType(typeof(GroupMembership))!;
        var members = model.FindEntityType(typeof(WorkspaceMember))!;

        string Table(IEntityType entity) => sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());
        string Column(IEntityType entity, string property) =>
            sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema()))!);

        workspaceProperty = groups.FindProperty(nameof(WorkspaceGroup.WorkspaceId))!;
        idProperty = groups.FindProperty(nameof(WorkspaceGroup.Id))!;
        membershipGroup = memberships.FindProperty(nameof(GroupMembership.GroupId))!;
        membershipMember = memberships.FindProperty(nameof(GroupMembership.MemberId))!;
        var memberType = memberships.FindProperty(nameof(GroupMembership.MemberType))!;
        memberTypeStoredAsInt = (memberType.GetRelationalTypeMapping().Converter?.ProviderClrType ?? typeof(int)) == typeof(int);
        groupColumns = UserReader.Stored(groups);
        readGroup = UserReader.Materializer<WorkspaceGroup>(groups);

        groupText = $"SELECT {string.Join(", ", groupColumns.Select(p => "g." + sql.DelimitIdentifier(p.GetColumnName(StoreObjectIdentifier.Table(groups.GetTableName()!, groups.GetSchema()))!)))} FROM {Table(groups)} AS g"
            + $" WHERE g.{Column(groups, nameof(WorkspaceGroup.WorkspaceId))} = {sql.GenerateParameterNamePlaceholder("ws")}"
            + $" AND g.{Column(groups, nameof(WorkspaceGroup.Id))} = {sql.GenerateParameterNamePlaceholder("id")}";

        var memberId = $"gm.{Column(memberships, nameof(GroupMembership.MemberId))}";
        var select = $"SELECT {memberId}, gm.{Column(memberships, nameof(GroupMembership.MemberType))},"
            + $" COALESCE(u.{Column(members, nameof(WorkspaceMember.DisplayName))}, u.{Column(members, nameof(WorkspaceMember.UserName))}, mg.{Column(groups, nameof(WorkspaceGroup.DisplayName))})"
            + $" FROM {Table(memberships)} AS gm"
            + $" LEFT JOIN {Table(members)} AS u ON u.{Column(members, nameof(WorkspaceMember.Id))} = {memberId}"
            + $" LEFT JOIN {Table(groups)} AS mg ON mg.{Column(groups, nameof(WorkspaceGroup.Id))} = {memberId}"
            + $" WHERE gm.{Column(memberships, nameof(GroupMembership.GroupId))} = {sql.GenerateParameterNamePlaceholder("group")}";
        var order = string.Create(CultureInfo.InvariantCulture, $" ORDER BY {memberId} LIMIT {BatchSize}");
        firstBatchText = select + order;
        nextBatchText = select + $" AND {memberId} > {sql.GenerateParameterNamePlaceholder("after")}" + order;
    }

    /// <summary>The most member rows one statement returns.</summary>
    public int BatchSize { get; }

    /// <summary>Starts a read: one session and one snapshot until the read is disposed.</summary>
    public async Task<Read> BeginAsync(CancellationToken ct) => new(this, await sessions.RentAsync(ct));

    /// <summary>One read: the groups and members it reads share a snapshot. Dispose it when the response is written.</summary>
    public sealed class Read : IAsyncDisposable
    {
        private readonly GroupReader owner;
        private readonly ReadSessions.Session session;
        private readonly DbTransaction transaction;
        private bool failed;

        internal Read(GroupReader owner, ReadSessions.Session session)
        {
            this.owner = owner;
            this.session = session;
            transaction = session.BeginRead();
        }

        /// <summary>The group of the workspace with this id, or null.</summary>
        public async Task<WorkspaceGroup?> GroupAsync(Guid workspaceId, Guid id, CancellationToken ct)
        {
            try
            {
                var command = Command(owner.groupText, (owner.workspaceProperty, "ws", workspaceId), (owner.idProperty, "id", id));
                await using var reader = await command.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct))
                {
                    return null;
                }

                return owner.readGroup(reader);
            }
            catch
            {
                failed = true;
                throw;
            }
        }

        /// <summary>The group's members in key order, read in batches of at most <see cref="BatchSize"/> rows.</summary>
        public async IAsyncEnumerable<GroupMemberRow> MembersAsync(Guid groupId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            Guid? after = null;
            while (true)
            {
                var rows = 0;
                var command = after is { } last
                    ? Command(owner.nextBatchText, (owner.membershipGroup, "group", groupId), (owner.membershipMember, "after", last))
                    : Command(owner.firstBatchText, (owner.membershipGroup, "group", groupId));
                DbDataReader reader;
                try
                {
                    reader = await command.ExecuteReaderAsync(ct);
                }
                catch
                {
                    failed = true;
                    throw;
                }

                await using (reader)
                {
                    while (await ReadAsync(reader, ct))
                    {
                        rows++;
                        var id = reader.GetFieldValue<Guid>(0);
                        after = id;
                        yield return new GroupMemberRow(groupId, id, owner.MemberTypeOf(reader), reader.IsDBNull(2) ? null : reader.GetString(2));
                    }
                }

                LogBatch(owner.logger, groupId, rows, owner.BatchSize);
                if (rows < owner.BatchSize)
                {
                    yield break;
                }
            }
        }

        private async Task<bool> ReadAsync(DbDataReader reader, CancellationToken ct)
        {
            try
            {
                return await reader.ReadAsync(ct);
            }
            catch
            {
                failed = true;
                throw;
            }
        }

        private DbCommand Command(string text, params (IProperty Property, string Name, object Value)[] parameters)
        {
            var command = session.Command(text, transaction);
            // A prepared command keeps the parameter instances it was first given (Npgsql): set their values.
            for (var i = 0; i < parameters.Length; i++)
            {
                var (property, name, value) = parameters[i];
                var parameter = property.GetRelationalTypeMapping().CreateParameter(command, owner.sql.GenerateParameterName(name), value, nullable: false);
                if (command.Parameters.Count <= i)
                {
                    command.Parameters.Add(parameter);
                }
                else
                {
                    command.Parameters[i].Value = parameter.Value;
                }
            }

            owner.sessions.LogRead(text);
            return command;
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            if (failed)
            {
                session.Dispose();
            }
            else
            {
                owner.sessions.Return(session);
            }
        }
    }

    /// <summary>MemberType as stored: its enum number (EF's default enum mapping on both providers).</summary>
    private GroupMemberType MemberTypeOf(DbDataReader reader) =>
        memberTypeStoredAsInt ? (GroupMemberType)reader.GetFieldValue<int>(1) : throw new InvalidOperationException("GroupMembership.MemberType is expected to be stored as an integer.");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Read {Rows} member rows of group {GroupId} in one batch (at most {BatchSize})")]
    private static partial void LogBatch(ILogger logger, Guid groupId, int rows, int batchSize);
}
