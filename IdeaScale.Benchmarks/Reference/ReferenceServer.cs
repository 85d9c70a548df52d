using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

using IdeaScale.Benchmarks.Load;

using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace IdeaScale.Benchmarks.Reference;

/// <summary>
/// The reference the app is measured against: plain Kestrel plus raw ADO.NET (Microsoft.Data.Sqlite, or Npgsql
/// with pooling and automatic preparation), no EF Core, no framework beyond routing, one indexed table. It answers the benchmark's requests with SCIM bodies of the
/// same shape as the app's, so the ratio app/reference shows what our stack costs on this hardware.
/// Usage: <c>IdeaScale.Benchmarks reference --port 5302 --db /tmp/ref.db --token T</c>, or
/// <c>--provider postgresql --db "Host=...;Database=..."</c>.
/// </summary>
internal static class ReferenceServer
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = CommandLine.Parse(args);
        var port = int.Parse(options.Require("port"), CultureInfo.InvariantCulture);
        using var database = new ReferenceDatabase(BenchProviders.Parse(options["provider"]), options.Require("db"));
        var token = options.Require("token");

        database.EnsureCreated();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = 1024 * 1024;
        });
        var app = builder.Build();

        var handlers = new ReferenceHandlers(database, $"http://127.0.0.1:{port}/scim/v2", token);
        app.MapGet("/health", context => context.Response.WriteAsync("ok"));
        var scim = app.MapGroup("/scim/v2");
        scim.AddEndpointFilter(async (context, next) => handlers.Authorized(context.HttpContext)
            ? await next(context)
            : Results.Text(ReferenceHandlers.ErrorBody(401, "Authentication is required."), ReferenceHandlers.ScimJson, Encoding.UTF8, 401));
        scim.MapGet("/Users", handlers.ListUsersAsync);
        scim.MapGet("/Users/{id}", handlers.GetUserAsync);
        scim.MapPost("/Users", handlers.CreateUserAsync);
        scim.MapPut("/Users/{id}", handlers.ReplaceUserAsync);
        scim.MapPatch("/Users/{id}", handlers.PatchUserAsync);
        scim.MapGet("/Groups/{id}", handlers.GetGroupAsync);
        scim.MapPatch("/Groups/{id}", handlers.PatchGroupAsync);

        Console.WriteLine($"reference: listening on http://127.0.0.1:{port} over {database.Provider.DisplayName()}");
        await app.RunAsync();
        return 0;
    }
}

/// <summary>The reference's request handlers: parameterised SQL, a Utf8JsonWriter straight into the response.</summary>
internal sealed class ReferenceHandlers(ReferenceDatabase database, string baseUrl, string token)
{
    public const string ScimJson = "application/scim+json";
    private const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    private const string GroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
    private const string EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private const string ListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    private const string UserColumns = "id, user_name, external_id, active, name_formatted, given_name, family_name, display_name, title, email, employee_number, department, created, last_modified, version";

    /// <summary>SCIM attribute paths the reference's PATCH /Users understands, and their columns.</summary>
    private static readonly Dictionary<string, string> UserPatchColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["externalId"] = "external_id",
        ["active"] = "active",
        ["displayName"] = "display_name",
        ["title"] = "title",
        ["emails[type eq \"work\"].value"] = "email",
        ["name.formatted"] = "name_formatted",
        ["name.givenName"] = "given_name",
        ["name.familyName"] = "family_name",
        [EnterpriseSchema + ":employeeNumber"] = "employee_number",
        [EnterpriseSchema + ":department"] = "department",
    };

    /// <summary>The app's encoder (Scim/Protocol/ScimJson.cs), so bodies have the same bytes.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] ErrorSchemas = ["urn:ietf:params:scim:api:messages:2.0:Error"];

    private readonly byte[] tokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool Authorized(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, tokenHash);
    }

    public async Task ListUsersAsync(HttpContext context)
    {
        var query = context.Request.Query;
        await using var connection = await database.OpenAsync(context.RequestAborted);
        if (query.TryGetValue("filter", out var filter))
        {
            if (!TryParseUserNameEq(filter.ToString(), out var userName))
            {
                await ErrorAsync(context, 400, "Only userName eq \"...\" is supported by the reference.");
                return;
            }

            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {UserColumns} FROM users WHERE user_name_norm = @n";
            command.AddParameter("@n", userName.ToUpperInvariant());
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            await WriteListAsync(context, total: null, startIndex: 1, reader);
            return;
        }

        if (query.TryGetValue("cursor", out var cursor))
        {
            // Keyset paging on the table's own order: the cursor is the last row's position.
            var size = Math.Clamp(IntOr(query["count"], 100), 1, 100);
            long cursorTotal;
            await using (var countCommand = connection.CreateCommand())
            {
                countCommand.CommandText = "SELECT count(*) FROM users";
                cursorTotal = (long)(await countCommand.ExecuteScalarAsync(context.RequestAborted))!;
            }

            await using var seek = connection.CreateCommand();
            seek.CommandText = $"SELECT {UserColumns}, {database.PageOrder} FROM users WHERE {database.PageOrder} > @after ORDER BY {database.PageOrder} LIMIT @count";
            seek.AddParameter("@after", long.TryParse(cursor.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var after) ? after : 0L);
            seek.AddParameter("@count", size + 1);
            await using var seekReader = await seek.ExecuteReaderAsync(context.RequestAborted);
            await WriteListAsync(context, cursorTotal, null, seekReader, size);
            return;
        }

        var startIndex = Math.Max(1, IntOr(query["startIndex"], 1));
        var count = Math.Clamp(IntOr(query["count"], 100), 0, 100);
        long total;
        await using (var countCommand = connection.CreateCommand())
        {
            countCommand.CommandText = "SELECT count(*) FROM users";
            total = (long)(await countCommand.ExecuteScalarAsync(context.RequestAborted))!;
        }

        await using var page = connection.CreateCommand();
        page.CommandText = $"SELECT {UserColumns} FROM users ORDER BY {database.PageOrder} LIMIT @count OFFSET @skip";
        page.AddParameter("@count", count);
        page.AddParameter("@skip", startIndex - 1);
        await using var pageReader = await page.ExecuteReaderAsync(context.RequestAborted);
        await WriteListAsync(context, total, startIndex, pageReader);
    }

    public async Task GetUserAsync(HttpContext context)
    {
        var id = ((string)context.Request.RouteValues["id"]!).ToLowerInvariant();
        await using var connection = await database.OpenAsync(context.RequestAborted);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {UserColumns} FROM users WHERE id = @id";
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        await WriteSingleUserAsync(context, reader);
    }

    /// <summary>replace/add of simple attributes (with a path, or a no-path object), applied in one UPDATE ... RETURNING.</summary>
    public async Task PatchUserAsync(HttpContext context)
    {
        var id = ((string)context.Request.RouteValues["id"]!).ToLowerInvariant();
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var assignments = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var op in body.RootElement.GetProperty("Operations").EnumerateArray())
        {
            var name = op.GetProperty("op").GetString();
            if (!string.Equals(name, "replace", StringComparison.OrdinalIgnoreCase) && !string.Equals(name, "add", StringComparison.OrdinalIgnoreCase))
            {
                await ErrorAsync(context, 400, "The reference supports add and replace only.");
                return;
            }

            var value = op.GetProperty("value");
            if (op.TryGetProperty("path", out var path))
            {
                if (!AddAssignment(assignments, path.GetString() ?? "", value))
                {
                    await ErrorAsync(context, 400, "Unsupported path.");
                    return;
                }
            }
            else
            {
                foreach (var property in value.EnumerateObject())
                {
                    if (!AddAssignment(assignments, property.Name, property.Value))
                    {
                        await ErrorAsync(context, 400, "Unsupported path.");
                        return;
                    }
                }
            }
        }

        await using var connection = await database.OpenAsync(context.RequestAborted);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder("UPDATE users SET ");
        var i = 0;
        foreach (var (column, value) in assignments)
        {
            sql.Append(column).Append(" = @p").Append(i).Append(", ");
            command.AddParameter("@p" + i.ToString(CultureInfo.InvariantCulture), value ?? DBNull.Value);
            i++;
        }

        sql.Append("version = version + 1, last_modified = @now WHERE id = @id RETURNING ").Append(UserColumns);
        command.CommandText = sql.ToString();
        command.AddParameter("@now", Now());
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        await WriteSingleUserAsync(context, reader);
    }

    /// <summary>POST /Users: the body's stored attributes in one INSERT ... RETURNING; a taken userName is 409 uniqueness.</summary>
    public async Task CreateUserAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var values = StoredValues(body.RootElement);
        if (values["user_name"] is not string)
        {
            await ErrorAsync(context, 400, "userName is required.");
            return;
        }

        await using var connection = await database.OpenAsync(context.RequestAborted);
        await using var command = connection.CreateCommand();
        var now = Now();
        command.CommandText = $"INSERT INTO users (id, {string.Join(", ", values.Keys)}, created, last_modified, version) VALUES (@id, "
            + string.Join(", ", values.Keys.Select(k => "@" + k)) + $", @now, @now, 1) ON CONFLICT DO NOTHING RETURNING {UserColumns}";
        command.AddParameter("@id", Guid.NewGuid().ToString());
        foreach (var (column, value) in values)
        {
            command.AddParameter("@" + column, value ?? DBNull.Value);
        }

        command.AddParameter("@now", now);
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        if (!reader.HasRows)
        {
            await ErrorAsync(context, 409, "A user with this userName already exists.");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status201Created;
        await WriteSingleUserAsync(context, reader);
    }

    /// <summary>PUT /Users/{id}: every stored attribute from the body (absent ones unassigned) in one UPDATE ... RETURNING.</summary>
    public async Task ReplaceUserAsync(HttpContext context)
    {
        var id = ((string)context.Request.RouteValues["id"]!).ToLowerInvariant();
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var values = StoredValues(body.RootElement);
        await using var connection = await database.OpenAsync(context.RequestAborted);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE users SET " + string.Join(", ", values.Keys.Select(k => $"{k} = @{k}"))
            + $", version = version + 1, last_modified = @now WHERE id = @id RETURNING {UserColumns}";
        foreach (var (column, value) in values)
        {
            command.AddParameter("@" + column, value ?? DBNull.Value);
        }

        command.AddParameter("@now", Now());
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        await WriteSingleUserAsync(context, reader);
    }

    /// <summary>The reference's columns from a full user body (POST/PUT); what the body lacks is null.</summary>
    private static Dictionary<string, object?> StoredValues(JsonElement user)
    {
        static string? Text(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var name = user.TryGetProperty("name", out var n) ? n : default;
        var enterprise = user.TryGetProperty(EnterpriseSchema, out var x) ? x : default;
        string? email = null;
        if (user.TryGetProperty("emails", out var emails) && emails.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in emails.EnumerateArray())
            {
                email ??= Text(e, "value");
            }
        }

        var userName = Text(user, "userName");
        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["user_name"] = userName,
            ["user_name_norm"] = userName?.ToUpperInvariant(),
            ["external_id"] = Text(user, "externalId"),
            ["active"] = user.TryGetProperty("active", out var a) && a.ValueKind == JsonValueKind.False ? 0 : 1,
            ["name_formatted"] = Text(name, "formatted"),
            ["given_name"] = Text(name, "givenName"),
            ["family_name"] = Text(name, "familyName"),
            ["display_name"] = Text(user, "displayName"),
            ["title"] = Text(user, "title"),
            ["email"] = email,
            ["employee_number"] = Text(enterprise, "employeeNumber"),
            ["department"] = Text(enterprise, "department"),
        };
    }

    public async Task GetGroupAsync(HttpContext context)
    {
        var id = ((string)context.Request.RouteValues["id"]!).ToLowerInvariant();
        await using var connection = await database.OpenAsync(context.RequestAborted);
        await WriteGroupAsync(context, connection, id);
    }

    /// <summary>Membership add/remove as set deltas on membership rows, with the group's version bump, in one transaction.</summary>
    public async Task PatchGroupAsync(HttpContext context)
    {
        var id = ((string)context.Request.RouteValues["id"]!).ToLowerInvariant();
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var adds = new List<string>();
        var removes = new List<string>();
        foreach (var op in body.RootElement.GetProperty("Operations").EnumerateArray())
        {
            var name = op.GetProperty("op").GetString() ?? "";
            var path = op.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "";
            var target = name.Equals("add", StringComparison.OrdinalIgnoreCase) ? adds
                : name.Equals("remove", StringComparison.OrdinalIgnoreCase) ? removes : null;
            if (target is null)
            {
                await ErrorAsync(context, 400, "The reference supports add and remove of members only.");
                return;
            }

            if (path.Equals("members", StringComparison.OrdinalIgnoreCase))
            {
                target.AddRange(op.GetProperty("value").EnumerateArray().Select(v => v.GetProperty("value").GetString()!.ToLowerInvariant()));
            }
            else if (target == removes && path.StartsWith("members[value eq \"", StringComparison.OrdinalIgnoreCase) && path.EndsWith("\"]", StringComparison.Ordinal))
            {
                removes.Add(path[18..^2].ToLowerInvariant());
            }
            else
            {
                await ErrorAsync(context, 400, "Unsupported path.");
                return;
            }
        }

        await using var connection = await database.OpenAsync(context.RequestAborted);
        await using (var tx = (DbTransaction)await connection.BeginTransactionAsync(context.RequestAborted))
        {
            await using var bump = connection.CreateCommand();
            bump.CommandText = "UPDATE groups SET version = version + 1, last_modified = @now WHERE id = @id";
            bump.AddParameter("@now", Now());
            bump.AddParameter("@id", id);
            if (await bump.ExecuteNonQueryAsync(context.RequestAborted) == 0)
            {
                await ErrorAsync(context, 404, "Group not found.");
                return;
            }

            await ApplyMembershipAsync(connection, "INSERT INTO group_members (group_id, member_id) SELECT @g, id FROM users WHERE id = @m ON CONFLICT DO NOTHING", id, adds, context.RequestAborted);
            await ApplyMembershipAsync(connection, "DELETE FROM group_members WHERE group_id = @g AND member_id = @m", id, removes, context.RequestAborted);
            await tx.CommitAsync(context.RequestAborted);
        }

        // The app's 204 rule: no representation unless attributes or excludedAttributes ask for one.
        if (!context.Request.Query.ContainsKey("attributes") && !context.Request.Query.ContainsKey("excludedAttributes"))
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        await WriteGroupAsync(context, connection, id);
    }

    public static string ErrorBody(int status, string detail) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["schemas"] = ErrorSchemas,
        ["status"] = status.ToString(CultureInfo.InvariantCulture),
        ["detail"] = detail,
    });

    private static async Task ApplyMembershipAsync(DbConnection connection, string sql, string groupId, List<string> members, CancellationToken ct)
    {
        if (members.Count == 0)
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.AddParameter("@g", groupId);
        var member = command.CreateParameter();
        member.ParameterName = "@m";
        command.Parameters.Add(member);
        foreach (var m in members)
        {
            member.Value = m;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static bool AddAssignment(Dictionary<string, object?> assignments, string path, JsonElement value)
    {
        if (!UserPatchColumns.TryGetValue(path, out var column))
        {
            return false;
        }

        assignments[column] = value.ValueKind switch
        {
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            JsonValueKind.Null => null,
            JsonValueKind.String when column == "active" => bool.Parse(value.GetString()!) ? 1 : 0,
            _ => value.ToString(),
        };
        return true;
    }

    private async Task WriteGroupAsync(HttpContext context, DbConnection connection, string id)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, display_name, created, last_modified, version FROM groups WHERE id = @id";
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        if (!await reader.ReadAsync(context.RequestAborted))
        {
            await ErrorAsync(context, 404, "Group not found.");
            return;
        }

        var excluded = context.Request.Query["excludedAttributes"].ToString();
        var withMembers = !excluded.Contains("members", StringComparison.OrdinalIgnoreCase);
        var version = reader.GetInt64(4);
        context.Response.ContentType = ScimJson;
        context.Response.Headers.ETag = $"W/\"{version}\"";
        await using var w = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions);
        w.WriteStartObject();
        w.WriteStartArray("schemas");
        w.WriteStringValue(GroupSchema);
        w.WriteEndArray();
        w.WriteString("id", reader.GetString(0));
        w.WriteString("displayName", reader.GetString(1));
        if (withMembers)
        {
            w.WriteStartArray("members");
            await using var members = connection.CreateCommand();
            members.CommandText = "SELECT member_id FROM group_members WHERE group_id = @id";
            members.AddParameter("@id", id);
            await using var memberReader = await members.ExecuteReaderAsync(context.RequestAborted);
            while (await memberReader.ReadAsync(context.RequestAborted))
            {
                var memberId = memberReader.GetString(0);
                w.WriteStartObject();
                w.WriteString("value", memberId);
                w.WriteString("$ref", $"{baseUrl}/Users/{memberId}");
                w.WriteString("type", "User");
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        WriteMeta(w, "Group", $"{baseUrl}/Groups/{reader.GetString(0)}", reader.GetString(2), reader.GetString(3), version);
        w.WriteEndObject();
        await w.FlushAsync(context.RequestAborted);
    }

    private async Task WriteSingleUserAsync(HttpContext context, DbDataReader reader)
    {
        if (!await reader.ReadAsync(context.RequestAborted))
        {
            await ErrorAsync(context, 404, "User not found.");
            return;
        }

        context.Response.ContentType = ScimJson;
        context.Response.Headers.ETag = $"W/\"{reader.GetInt64(14)}\"";
        await using var w = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions);
        WriteUser(w, reader);
        await w.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// A ListResponse. Index paging: <paramref name="startIndex"/>. Cursor paging (null startIndex): the reader has
    /// up to <paramref name="cursorPageSize"/> + 1 rows, its last column the position; nextCursor when the extra row came.
    /// </summary>
    private async Task WriteListAsync(HttpContext context, long? total, int? startIndex, DbDataReader reader, int cursorPageSize = 0)
    {
        // The resources are written first into a buffer so totalResults/itemsPerPage can precede them.
        var resources = new System.Buffers.ArrayBufferWriter<byte>(4096);
        var count = 0;
        string? nextCursor = null;
        await using (var rw = new Utf8JsonWriter(resources, WriterOptions))
        {
            rw.WriteStartArray();
            long position = 0;
            while (await reader.ReadAsync(context.RequestAborted))
            {
                if (startIndex is null && count == cursorPageSize)
                {
                    nextCursor = position.ToString(CultureInfo.InvariantCulture);
                    break;
                }

                WriteUser(rw, reader);
                if (startIndex is null)
                {
                    position = Convert.ToInt64(reader.GetValue(reader.FieldCount - 1), CultureInfo.InvariantCulture);
                }

                count++;
            }

            rw.WriteEndArray();
        }

        context.Response.ContentType = ScimJson;
        await using var w = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions);
        w.WriteStartObject();
        w.WriteStartArray("schemas");
        w.WriteStringValue(ListSchema);
        w.WriteEndArray();
        w.WriteNumber("totalResults", total ?? count);
        if (startIndex is { } index)
        {
            w.WriteNumber("startIndex", index);
        }

        w.WriteNumber("itemsPerPage", count);
        if (nextCursor is not null)
        {
            w.WriteString("nextCursor", nextCursor);
        }

        w.WritePropertyName("Resources");
        w.WriteRawValue(resources.WrittenSpan, skipInputValidation: true);
        w.WriteEndObject();
        await w.FlushAsync(context.RequestAborted);
    }

    private void WriteUser(Utf8JsonWriter w, DbDataReader r)
    {
        var id = r.GetString(0);
        w.WriteStartObject();
        w.WriteStartArray("schemas");
        w.WriteStringValue(UserSchema);
        w.WriteStringValue(EnterpriseSchema);
        w.WriteEndArray();
        w.WriteString("id", id);
        WriteOptional(w, "externalId", r, 2);
        w.WriteString("userName", r.GetString(1));
        w.WriteStartObject("name");
        WriteOptional(w, "formatted", r, 4);
        WriteOptional(w, "givenName", r, 5);
        WriteOptional(w, "familyName", r, 6);
        w.WriteEndObject();
        WriteOptional(w, "displayName", r, 7);
        WriteOptional(w, "title", r, 8);
        w.WriteBoolean("active", r.GetInt32(3) != 0);
        if (!r.IsDBNull(9))
        {
            w.WriteStartArray("emails");
            w.WriteStartObject();
            w.WriteString("value", r.GetString(9));
            w.WriteString("type", "work");
            w.WriteBoolean("primary", true);
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteStartObject(EnterpriseSchema);
        WriteOptional(w, "employeeNumber", r, 10);
        WriteOptional(w, "department", r, 11);
        w.WriteEndObject();
        WriteMeta(w, "User", $"{baseUrl}/Users/{id}", r.GetString(12), r.GetString(13), r.GetInt64(14));
        w.WriteEndObject();
    }

    private static void WriteMeta(Utf8JsonWriter w, string resourceType, string location, string created, string lastModified, long version)
    {
        w.WriteStartObject("meta");
        w.WriteString("resourceType", resourceType);
        w.WriteString("created", IsoTime(created));
        w.WriteString("lastModified", IsoTime(lastModified));
        w.WriteString("location", location);
        w.WriteString("version", $"W/\"{version}\"");
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, DbDataReader r, int ordinal)
    {
        if (!r.IsDBNull(ordinal))
        {
            w.WriteString(name, r.GetString(ordinal));
        }
    }

    /// <summary>The app stores "yyyy-MM-dd HH:mm:ss.fffffff" (UTC); SCIM shows ISO 8601 with Z.</summary>
    private static string IsoTime(string stored) => stored.Replace(' ', 'T') + "Z";

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture);

    private static int IntOr(Microsoft.Extensions.Primitives.StringValues value, int fallback) =>
        int.TryParse(value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : fallback;

    private static async Task ErrorAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = ScimJson;
        await context.Response.WriteAsync(ErrorBody(status, detail), context.RequestAborted);
    }

    /// <summary>Parses exactly <c>userName eq "value"</c> (names and operator case-insensitive, \" and \\ escapes).</summary>
    internal static bool TryParseUserNameEq(string filter, out string userName)
    {
        userName = "";
        var s = filter.AsSpan().Trim();
        if (!s.StartsWith("userName", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        s = s[8..].TrimStart();
        if (!s.StartsWith("eq", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        s = s[2..].TrimStart();
        if (s.Length < 2 || s[0] != '"' || s[^1] != '"')
        {
            return false;
        }

        var sb = new StringBuilder(s.Length);
        for (var i = 1; i < s.Length - 1; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length - 1)
            {
                i++;
            }
            else if (s[i] == '"')
            {
                return false;
            }

            sb.Append(s[i]);
        }

        userName = sb.ToString();
        return true;
    }
}
