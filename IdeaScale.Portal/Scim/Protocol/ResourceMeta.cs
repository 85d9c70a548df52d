using System.Globalization;
using System.Text.Json.Nodes;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>RFC 7643 §3.1 <c>meta</c>: location is absolute, from the workspace's SCIM base URL.</summary>
public static class ResourceMeta
{
    public static string Location(string baseUrl, string endpoint, Guid id) => $"{baseUrl}{endpoint}/{id}";

    public static JsonObject For(string resourceType, IScimResource resource, string location) => new()
    {
        ["resourceType"] = resourceType,
        ["created"] = Time(resource.Created),
        ["lastModified"] = Time(resource.LastModified),
        ["location"] = location,
        ["version"] = ETags.For(resource.Version),
    };

    public static string Time(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
