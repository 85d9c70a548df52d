using System.Text;
using System.Text.Json.Nodes;

namespace IdeaScale.Portal.Tests.Scim.Compatibility;

/// <summary>
/// Replays the request/response shapes identity providers send (Replays/{EntraId,Okta}/*.json, built from
/// SCIM-INTEROP.md) through HTTP against the real app. Each step's expected body is a subset: every member it
/// names must be in the response with that value. <c>${name}</c> refers to an id saved by an earlier step;
/// <c>${guid}</c> is a fresh random GUID.
/// </summary>
public sealed class ReplayTests(ScimFactory factory) : IClassFixture<ScimFactory>
{
    public static TheoryData<string> Replays()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Scim", "Compatibility", "Replays"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(AppContext.BaseDirectory, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Replays))]
    public async Task Replay_RecordedIdpSequence_EveryStepAnswersAsRecorded(string file) => await ReplayAsync(file, factory);

    /// <summary>Issue 3's "done when": Entra's whole sequence succeeds (test connection; create; update email,
    /// name and manager; disable; re-enable; group create; add and remove members; delete).</summary>
    [Fact]
    public async Task EntraSequence_FullProvisioningCycle_EveryRequestSucceeds()
    {
        using var fresh = new ScimFactory();
        await ReplayAsync(Path.Combine("Scim", "Compatibility", "Replays", "EntraId", "default-mode.json"), fresh);
    }

    private static async Task ReplayAsync(string file, ScimFactory factory)
    {
        var replay = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, file)))!.AsObject();
        var query = replay["query"]?.GetValue<string>() ?? "";
        var contentType = replay["contentType"]?.GetValue<string>() ?? ScimHttp.MediaType;
        var saved = new Dictionary<string, string>(StringComparer.Ordinal);
        var client = factory.Scim();

        foreach (var step in replay["steps"]!.AsArray().Select(s => s!.AsObject()))
        {
            var name = step["name"]!.GetValue<string>();
            var path = Url(Substitute(step["path"]!.GetValue<string>(), saved), query);
            using var request = new HttpRequestMessage(new HttpMethod(step["method"]!.GetValue<string>()), "/scim/v2" + path);
            if (step["body"] is { } body)
            {
                request.Content = new StringContent(Substitute(body.ToJsonString(), saved), Encoding.UTF8, contentType);
            }

            var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var expect = step["expect"]!;
            Assert.True(expect["status"]!.GetValue<int>() == (int)response.StatusCode, $"{file} / {name}: expected {expect["status"]}, got {(int)response.StatusCode}: {text}");
            var actual = text.Length == 0 ? null : JsonNode.Parse(text);
            if (text.Length > 0)
            {
                Assert.Equal(ScimHttp.MediaType, response.Content.Headers.ContentType?.MediaType);
            }

            if (expect["body"] is { } expected)
            {
                var want = JsonNode.Parse(Substitute(expected.ToJsonString(), saved));
                Assert.True(Contains(actual, want), $"{file} / {name}: response\n{text}\ndoes not contain\n{want}");
            }

            foreach (var absent in step["expectAbsent"]?.AsArray() ?? [])
            {
                Assert.True(Find(actual, absent!.GetValue<string>()) is null, $"{file} / {name}: '{absent}' should be absent in {text}");
            }

            foreach (var (attribute, count) in step["expectCount"]?.AsObject() ?? [])
            {
                Assert.True(count!.GetValue<int>() == (Find(actual, attribute) as JsonArray)?.Count, $"{file} / {name}: expected {count} {attribute} in {text}");
            }

            foreach (var (variable, member) in step["save"]?.AsObject() ?? [])
            {
                saved[variable] = actual![member!.GetValue<string>()]!.GetValue<string>();
            }
        }
    }

    private static string Substitute(string text, Dictionary<string, string> saved)
    {
        foreach (var (key, value) in saved)
        {
            text = text.Replace("${" + key + "}", value, StringComparison.Ordinal);
        }

        return text.Replace("${guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
    }

    /// <summary>Escapes what a client would escape in the query string, and appends the replay's tenant-URL flag.</summary>
    private static string Url(string path, string flag)
    {
        var escaped = path.Replace(" ", "%20", StringComparison.Ordinal).Replace("\"", "%22", StringComparison.Ordinal)
            .Replace("[", "%5B", StringComparison.Ordinal).Replace("]", "%5D", StringComparison.Ordinal);
        return flag.Length == 0 ? escaped : escaped + (escaped.Contains('?', StringComparison.Ordinal) ? "&" : "?") + flag;
    }

    private static JsonNode? Find(JsonNode? node, string path)
    {
        foreach (var part in path.Split('/'))
        {
            node = (node as JsonObject)?[part];
        }

        return node;
    }

    /// <summary>Subset match: objects by member, arrays element by element (the response may have more elements).</summary>
    private static bool Contains(JsonNode? actual, JsonNode? expected) => expected switch
    {
        null => actual is null,
        JsonObject obj => actual is JsonObject a && obj.All(p => a.ContainsKey(p.Key) && Contains(a[p.Key], p.Value)),
        JsonArray arr => actual is JsonArray a && (arr.Count == 0 ? a.Count == 0 : arr.Select((e, i) => i < a.Count && Contains(a[i], e)).All(x => x)),
        _ => JsonNode.DeepEquals(actual, expected),
    };
}
