using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>
/// JSON settings for /scim/v2. Names are written exactly as declared (no camelCase policy: "Resources" keeps
/// its capital R); reading is case-insensitive because SCIM attribute names are.
/// </summary>
public static class ScimJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = null,
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 32,
    };
}
