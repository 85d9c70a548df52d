using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using Microsoft.Data.Sqlite;

namespace IdeaScale.Benchmarks.Load;

/// <summary>Read-only look into the app's SQLite file: which users exist (for the wrk id/userName lists).</summary>
internal sealed class AppDatabase(string path)
{
    private string ConnectionString => new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

    public Guid WorkspaceId(string slug)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT Id FROM Workspaces WHERE Slug = $slug";
        command.Parameters.AddWithValue("$slug", slug);
        return Guid.Parse((string)command.ExecuteScalar()!);
    }

    /// <summary>The benchmark's users of the workspace in creation order: (id as the API shows it, userName).</summary>
    public List<(string Id, string UserName)> BenchUsers(Guid workspaceId)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT lower(Id), UserName FROM Members WHERE WorkspaceId = $ws AND UserName LIKE 'bench.user.%' ORDER BY Created, Id";
        command.Parameters.AddWithValue("$ws", workspaceId.ToString().ToUpperInvariant());
        using var reader = command.ExecuteReader();
        var users = new List<(string, string)>();
        while (reader.Read())
        {
            users.Add((reader.GetString(0), reader.GetString(1)));
        }

        return users;
    }

    public long CountMembers(Guid workspaceId)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM Members WHERE WorkspaceId = $ws";
        command.Parameters.AddWithValue("$ws", workspaceId.ToString().ToUpperInvariant());
        return (long)command.ExecuteScalar()!;
    }

    public long CountGroupMembers(string groupId)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM GroupMemberships WHERE GroupId = $g";
        command.Parameters.AddWithValue("$g", groupId.ToUpperInvariant());
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Inserts users straight into the app's database as clones of a user the API created (every column copied,
    /// the per-user ones replaced), with their work email, in one transaction. Used only when provisioning through
    /// the API would not reach the size within the time cap; the report says how many users came this way.
    /// </summary>
    public int BulkInsertUsers(Guid workspaceId, int firstNumber, int count)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA busy_timeout=30000";
            pragma.ExecuteNonQuery();
        }

        string template;
        using (var pick = connection.CreateCommand())
        {
            pick.CommandText = "SELECT Id FROM Members WHERE WorkspaceId = $ws AND UserName LIKE 'bench.user.%' ORDER BY Created LIMIT 1";
            pick.Parameters.AddWithValue("$ws", workspaceId.ToString().ToUpperInvariant());
            template = pick.ExecuteScalar() as string ?? throw new InvalidOperationException("No API-created user to clone.");
        }

        var overrides = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Id"] = "$id",
            ["UserName"] = "$userName",
            ["NormalizedUserName"] = "upper($userName)",
            ["ExternalId"] = "$externalId",
            ["NameFormatted"] = "$formatted",
            ["FamilyName"] = "$family",
            ["DisplayName"] = "$formatted",
            ["EmployeeNumber"] = "$number",
            ["Created"] = "$now",
            ["LastModified"] = "$now",
            ["Version"] = "1",
        };
        var memberColumns = Columns(connection, "Members");
        var valueColumns = Columns(connection, "MemberValues").Where(c => c != "Id").ToList();
        using var tx = connection.BeginTransaction();
        using var member = connection.CreateCommand();
        member.Transaction = tx;
        member.CommandText = $"INSERT INTO Members ({string.Join(", ", memberColumns.Select(Quote))}) SELECT "
            + string.Join(", ", memberColumns.Select(c => overrides.TryGetValue(c, out var v) ? v : Quote(c))) + " FROM Members WHERE Id = $template";
        using var email = connection.CreateCommand();
        email.Transaction = tx;
        email.CommandText = $"INSERT INTO MemberValues ({string.Join(", ", valueColumns.Select(Quote))}) SELECT "
            + string.Join(", ", valueColumns.Select(c => c switch { "MemberId" => "$id", "Value" => "$userName", _ => Quote(c) }))
            + " FROM MemberValues WHERE MemberId = $template AND Kind = 1";
        foreach (var command in new[] { member, email })
        {
            command.Parameters.AddWithValue("$template", template);
            foreach (var name in new[] { "$id", "$userName", "$externalId", "$formatted", "$family", "$number", "$now" })
            {
                command.Parameters.Add(name, SqliteType.Text);
            }
        }

        var start = DateTime.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var n = firstNumber + i;
            var values = new Dictionary<string, object>
            {
                ["$id"] = Guid.NewGuid().ToString().ToUpperInvariant(),
                ["$userName"] = $"bench.user.{n}@bench.example",
                ["$externalId"] = $"ext-{n}",
                ["$formatted"] = $"Bench User{n}",
                ["$family"] = $"User{n}",
                ["$number"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                // Distinct, increasing creation times keep the list order (Created, Id) the insertion order.
                ["$now"] = start.AddTicks(i * 10).ToString("yyyy-MM-dd HH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture),
            };
            foreach (var command in new[] { member, email })
            {
                foreach (var (name, value) in values)
                {
                    command.Parameters[name].Value = value;
                }

                command.ExecuteNonQuery();
            }
        }

        tx.Commit();
        return count;
    }

    private static List<string> Columns(SqliteConnection connection, string table)
    {
        using var info = connection.CreateCommand();
        info.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
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
