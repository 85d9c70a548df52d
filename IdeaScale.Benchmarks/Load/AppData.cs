using System.Data.Common;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using Microsoft.Data.Sqlite;

namespace IdeaScale.Benchmarks.Load;

/// <summary>
/// A look into the app's database (SQLite file or PostgreSQL database) through provider-neutral ADO.NET: which
/// users exist (for the wrk id/userName lists), counts, and the bulk insert of users beyond the provisioning window.
/// The two providers differ only in how an id or a time is stored (SQLite: upper-case text and
/// "yyyy-MM-dd HH:mm:ss.fffffff" text, as EF Core's SQLite provider writes them; PostgreSQL: uuid and timestamptz)
/// and in how a table's columns are listed.
/// </summary>
internal sealed class AppDatabase(BenchProvider provider, string connectionString)
{
    private bool IsPostgreSql => provider == BenchProvider.PostgreSql;

    public Guid WorkspaceId(string slug)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT \"Id\" FROM \"Workspaces\" WHERE \"Slug\" = @slug", ("@slug", slug));
        return ToGuid(command.ExecuteScalar());
    }

    /// <summary>The benchmark's users of the workspace in creation order: (id as the API shows it, userName).</summary>
    public List<(string Id, string UserName)> BenchUsers(Guid workspaceId)
    {
        using var connection = Open();
        using var command = Command(connection,
            "SELECT \"Id\", \"UserName\" FROM \"Members\" WHERE \"WorkspaceId\" = @ws AND \"UserName\" LIKE 'bench.user.%' ORDER BY \"Created\", \"Id\"",
            ("@ws", Id(workspaceId)));
        using var reader = command.ExecuteReader();
        var users = new List<(string, string)>();
        while (reader.Read())
        {
            users.Add((ToGuid(reader.GetValue(0)).ToString(), reader.GetString(1)));
        }

        return users;
    }

    public long CountMembers(Guid workspaceId)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT count(*) FROM \"Members\" WHERE \"WorkspaceId\" = @ws", ("@ws", Id(workspaceId)));
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public long CountGroupMembers(string groupId)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT count(*) FROM \"GroupMemberships\" WHERE \"GroupId\" = @g", ("@g", Id(Guid.Parse(groupId))));
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Inserts users straight into the app's database as clones of a user the API created (every column copied,
    /// the per-user ones replaced), with their work email, in one transaction. Set-based: the numbers and new ids
    /// go into a temporary table in one statement (SQLite: a recursive CTE with ids from randomblob, formatted as
    /// EF Core's SQLite provider stores a Guid; PostgreSQL: generate_series and gen_random_uuid), then one
    /// INSERT … SELECT per table clones the template for every number: three statements whatever the count (a
    /// million users in seconds, where a statement per user took minutes), in id order (the primary key's index is
    /// then written in order, not at random). Used beyond the provisioning window
    /// (the scale phase) and when provisioning through the API does not reach the size within the time cap; the
    /// report says how many users came this way.
    /// </summary>
    public int BulkInsertUsers(Guid workspaceId, int firstNumber, int count)
    {
        if (count <= 0)
        {
            return 0;
        }

        using var connection = Open();
        if (!IsPostgreSql)
        {
            // A page cache that holds the tables' and indexes' pages (default 2 MB): with it, the random-id index
            // pages are written to the WAL about once at the commit instead of on every eviction (a 1 GB WAL without).
            using var pragma = Command(connection, "PRAGMA busy_timeout=30000; PRAGMA cache_size=-524288; PRAGMA temp_store=MEMORY");
            pragma.ExecuteNonQuery();
        }

        object template;
        using (var pick = Command(connection,
            "SELECT \"Id\" FROM \"Members\" WHERE \"WorkspaceId\" = @ws AND \"UserName\" LIKE 'bench.user.%' ORDER BY \"Created\" LIMIT 1",
            ("@ws", Id(workspaceId))))
        {
            template = pick.ExecuteScalar() ?? throw new InvalidOperationException("No API-created user to clone.");
        }

        // Distinct, increasing creation times (1 µs apart, PostgreSQL's precision) after every existing user keep the
        // list order (Created, Id) the insertion order.
        var start = DateTime.UtcNow.AddSeconds(1);
        var startSeconds = new DateTimeOffset(start.AddTicks(-(start.Ticks % TimeSpan.TicksPerSecond))).ToUnixTimeSeconds();
        var number = IsPostgreSql ? "b.n::text" : "CAST(b.n AS TEXT)";
        var userName = $"'bench.user.' || {number} || '@bench.example'";
        var created = IsPostgreSql
            ? "to_timestamp(@start) + (b.n - @first) * interval '1 microsecond'"
            // "yyyy-MM-dd HH:mm:ss.fffffff", as EF Core's SQLite provider writes a DateTime.
            : "strftime('%Y-%m-%d %H:%M:%S', @start + (b.n - @first) / 1000000, 'unixepoch') || '.' || printf('%07d', ((b.n - @first) % 1000000) * 10)";
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Id"] = "b.id",
            ["UserName"] = userName,
            ["NormalizedUserName"] = $"upper({userName})",
            ["ExternalId"] = $"'ext-' || {number}",
            ["NameFormatted"] = $"'Bench User' || {number}",
            ["FamilyName"] = $"'User' || {number}",
            ["DisplayName"] = $"'Bench User' || {number}",
            ["EmployeeNumber"] = number,
            ["Created"] = created,
            ["LastModified"] = created,
            ["Version"] = "1",
        };
        var memberColumns = Columns(connection, "Members");
        var valueColumns = Columns(connection, "MemberValues").Where(c => c != "Id").ToList();
        using var tx = connection.BeginTransaction();
        var numbers = IsPostgreSql
            ? "CREATE TEMP TABLE bench_numbers ON COMMIT DROP AS SELECT n, gen_random_uuid() AS id FROM generate_series(@first, @last) AS n"
            : "CREATE TEMP TABLE bench_numbers AS WITH RECURSIVE s(n) AS (SELECT @first UNION ALL SELECT n + 1 FROM s WHERE n < @last)"
              + " SELECT n, upper(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-' || substr('89AB', 1 + (abs(random()) % 4), 1)"
              + " || substr(h, 18, 3) || '-' || substr(h, 21, 12)) AS id FROM (SELECT n, hex(randomblob(16)) AS h FROM s)";
        var statements = new[]
        {
            numbers,
            $"INSERT INTO \"Members\" ({string.Join(", ", memberColumns.Select(Quote))}) SELECT "
                + string.Join(", ", memberColumns.Select(c => overrides.TryGetValue(c, out var v) ? v : "t." + Quote(c)))
                + " FROM bench_numbers AS b CROSS JOIN \"Members\" AS t WHERE t.\"Id\" = @template ORDER BY b.id",
            $"INSERT INTO \"MemberValues\" ({string.Join(", ", valueColumns.Select(Quote))}) SELECT "
                + string.Join(", ", valueColumns.Select(c => c switch { "MemberId" => "b.id", "Value" => userName, _ => "t." + Quote(c) }))
                + " FROM bench_numbers AS b CROSS JOIN \"MemberValues\" AS t WHERE t.\"MemberId\" = @template AND t.\"Kind\" = 1 ORDER BY b.id",
            "DROP TABLE bench_numbers",
        };
        var inserted = 0;
        foreach (var (sql, index) in statements.Select((s, i) => (s, i)))
        {
            if (IsPostgreSql && index == statements.Length - 1)
            {
                continue; // ON COMMIT DROP
            }

            (string Name, object Value)[] parameters =
                [("@template", template), ("@first", (long)firstNumber), ("@last", (long)firstNumber + count - 1), ("@start", IsPostgreSql ? (double)startSeconds : startSeconds)];
            using var command = Command(connection, sql, [.. parameters.Where(p => sql.Contains(p.Name, StringComparison.Ordinal))]);
            command.Transaction = tx;
            command.CommandTimeout = 600;
            var rows = command.ExecuteNonQuery();
            if (index == 1)
            {
                inserted = rows;
            }
        }

        tx.Commit();
        return inserted;
    }

    private DbConnection Open()
    {
        DbConnection connection = IsPostgreSql
            ? new Npgsql.NpgsqlConnection(connectionString)
            : new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>An id as the provider stores it.</summary>
    private object Id(Guid id) => IsPostgreSql ? id : id.ToString().ToUpperInvariant();

    private static Guid ToGuid(object? value) => value switch
    {
        Guid g => g,
        string s => Guid.Parse(s),
        _ => throw new InvalidOperationException($"Not an id: {value}"),
    };

    private List<string> Columns(DbConnection connection, string table)
    {
        using var info = IsPostgreSql
            ? Command(connection, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t ORDER BY ordinal_position", ("@t", table))
            : Command(connection, "SELECT name FROM pragma_table_info(@t)", ("@t", table));
        using var reader = info.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private static string Quote(string column) => $"\"{column}\"";

    public static void WriteList(string file, IEnumerable<(string Id, string UserName)> users) =>
        File.WriteAllLines(file, users.Select(u => $"{u.Id} {u.UserName}"));
}

/// <summary>The few setup calls the benchmark makes through the app's own SCIM API (groups and their members).</summary>
internal sealed class ScimSetupClient : IDisposable
{
    private const string JsonMedia = "application/scim+json";
    private static readonly string[] GroupSchemas = ["urn:ietf:params:scim:schemas:core:2.0:Group"];
    private static readonly string[] PatchSchemas = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"];
    private readonly HttpClient http;

    public ScimSetupClient(Uri serverBase, string token)
    {
        http = new HttpClient { BaseAddress = new Uri(serverBase, "scim/v2/"), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<string> CreateGroupAsync(string displayName)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["schemas"] = GroupSchemas,
            ["displayName"] = displayName,
            ["members"] = Array.Empty<object>(),
        });
        using var response = await SendAsync(HttpMethod.Post, "Groups", body);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Adds members in PATCH requests of <paramref name="batch"/> members (Entra sends several per PATCH).</summary>
    public async Task AddMembersAsync(string groupId, IEnumerable<string> memberIds, int batch = 500)
    {
        foreach (var chunk in memberIds.Chunk(batch))
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["schemas"] = PatchSchemas,
                ["Operations"] = new[]
                {
                    new Dictionary<string, object>
                    {
                        ["op"] = "Add",
                        ["path"] = "members",
                        ["value"] = chunk.Select(id => new Dictionary<string, string?> { ["$ref"] = null, ["value"] = id }).ToArray(),
                    },
                },
            });
            using var response = await SendAsync(HttpMethod.Patch, $"Groups/{groupId}", body);
        }
    }

    /// <summary>GET and return the status code (a sanity check that an id list matches the server).</summary>
    public async Task<int> StatusOfAsync(string relative)
    {
        using var response = await http.GetAsync(new Uri(relative, UriKind.Relative));
        return (int)response.StatusCode;
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relative, string body)
    {
        var request = new HttpRequestMessage(method, new Uri(relative, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, JsonMedia),
        };
        var response = await http.SendAsync(request);
        request.Dispose();
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new InvalidOperationException($"{method} {relative} answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 400)]}");
        }

        return response;
    }
}
