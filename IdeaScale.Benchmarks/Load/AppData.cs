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
                        ["value"] = chunk.Select(id => new Dictionary<string, string> { ["value"] = id }).ToArray(),
                    },
                },
            });
            using var response = await SendAsync(HttpMethod.Patch, $"Groups/{groupId}?excludedAttributes=members", body);
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
