using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Tenancy;

namespace IdeaScale.Portal.Scim.Discovery;

/// <summary>
/// RFC 7644 §4 discovery: ServiceProviderConfig, ResourceTypes and Schemas, all generated from the attribute
/// registry (<see cref="ScimRegistry"/>), so a new registry row shows up here without further code.
/// </summary>
public static class DiscoveryEndpoints
{
    public static RouteGroupBuilder MapScimDiscovery(this RouteGroupBuilder scim)
    {
        scim.MapGet("/ServiceProviderConfig", (ScimTenant tenant, IConfiguration configuration, Paging.ScimCursors cursors) =>
            ScimResult.Ok(ServiceProviderConfig(tenant.BaseUrl, ScimRequest.MaxResults(configuration), cursors.TimeoutSeconds)));
        scim.MapGet("/ResourceTypes", (ScimTenant tenant) =>
            List(ScimRegistry.ResourceTypes.Select(r => ResourceType(r, tenant.BaseUrl)).ToList()));
        scim.MapGet("/ResourceTypes/{id}", (string id, ScimTenant tenant) =>
            ScimResult.Ok(ResourceType(ScimRegistry.ResourceTypes.FirstOrDefault(r => string.Equals(r.Name, id, StringComparison.OrdinalIgnoreCase))
                ?? throw ScimException.NotFound($"Resource type '{id}' was not found."), tenant.BaseUrl)));
        scim.MapGet("/Schemas", (ScimTenant tenant) => List(ScimRegistry.Schemas.Select(s => Schema(s, tenant.BaseUrl)).ToList()));
        scim.MapGet("/Schemas/{id}", (string id, ScimTenant tenant) =>
            ScimResult.Ok(Schema(ScimRegistry.Schemas.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.OrdinalIgnoreCase))
                ?? throw ScimException.NotFound($"Schema '{id}' was not found."), tenant.BaseUrl)));
        return scim;
    }

    private static ScimResult List(List<JsonObject> resources) => ScimResult.Ok(new ListResponse(resources.Count, 1, resources.Count, resources));

    /// <summary>Capability flags are what this server really does (see README "SCIM API").</summary>
    public static JsonObject ServiceProviderConfig(string baseUrl, int maxResults, int cursorTimeout) => new()
    {
        ["schemas"] = new JsonArray(ScimConstants.ServiceProviderConfigSchema),
        ["patch"] = new JsonObject { ["supported"] = true },
        ["bulk"] = new JsonObject { ["supported"] = false, ["maxOperations"] = 0, ["maxPayloadSize"] = 0 },
        ["filter"] = new JsonObject { ["supported"] = true, ["maxResults"] = maxResults },
        ["changePassword"] = new JsonObject { ["supported"] = true },
        ["sort"] = new JsonObject { ["supported"] = true },
        ["etag"] = new JsonObject { ["supported"] = true },
        // RFC 9865 §4: both methods; index when a request names neither; count defaults to and is capped at maxResults.
        ["pagination"] = new JsonObject
        {
            ["cursor"] = true,
            ["index"] = true,
            ["defaultPaginationMethod"] = "index",
            ["defaultPageSize"] = maxResults,
            ["maxPageSize"] = maxResults,
            ["cursorTimeout"] = cursorTimeout,
        },
        ["authenticationSchemes"] = new JsonArray(
            new JsonObject
            {
                ["type"] = "oauthbearertoken",
                ["name"] = "Bearer token",
                ["description"] = "The workspace's SCIM secret token, sent as 'Authorization: Bearer <token>'.",
                ["primary"] = true,
            },
            new JsonObject
            {
                ["type"] = "oauthbearertoken",
                ["name"] = "OAuth 2.0 Bearer Token",
                ["description"] = "An OAuth 2.0 access token (RFC 6750) of the workspace's client, from the token endpoint named by /.well-known/oauth-authorization-server (client credentials).",
                ["specUri"] = "https://www.rfc-editor.org/rfc/rfc6750",
            },
            new JsonObject
            {
                ["type"] = "httpbasic",
                ["name"] = "HTTP Basic",
                ["description"] = "The workspace slug as user name and the SCIM secret token as password.",
            }),
        ["meta"] = new JsonObject
        {
            ["resourceType"] = "ServiceProviderConfig",
            ["location"] = baseUrl + "/ServiceProviderConfig",
        },
    };

    public static JsonObject ResourceType(ScimResourceType type, string baseUrl) => new()
    {
        ["schemas"] = new JsonArray(ScimConstants.ResourceTypeSchema),
        ["id"] = type.Name,
        ["name"] = type.Name,
        ["endpoint"] = type.Endpoint,
        ["description"] = type.Description,
        ["schema"] = type.Core.Id,
        ["schemaExtensions"] = new JsonArray([.. type.Extensions.Select(e => new JsonObject { ["schema"] = e.Id, ["required"] = false })]),
        ["meta"] = new JsonObject { ["resourceType"] = "ResourceType", ["location"] = $"{baseUrl}/ResourceTypes/{type.Name}" },
    };

    public static JsonObject Schema(ScimSchema schema, string baseUrl) => new()
    {
        ["schemas"] = new JsonArray(ScimConstants.SchemaSchema),
        ["id"] = schema.Id,
        ["name"] = schema.Name,
        ["description"] = schema.Description,
        ["attributes"] = new JsonArray([.. schema.Attributes.Select(Attribute)]),
        ["meta"] = new JsonObject { ["resourceType"] = "Schema", ["location"] = $"{baseUrl}/Schemas/{schema.Id}" },
    };

    private static JsonObject Attribute(ScimAttribute attribute)
    {
        var json = new JsonObject
        {
            ["name"] = attribute.Name,
            ["type"] = ScimValues.TypeName(attribute.Type),
            ["multiValued"] = attribute.MultiValued,
            ["description"] = attribute.Description,
            ["required"] = attribute.Required,
            ["caseExact"] = attribute.CaseExact,
            ["mutability"] = Camel(attribute.Mutability.ToString()),
            ["returned"] = Camel(attribute.Returned.ToString()),
            ["uniqueness"] = Camel(attribute.Uniqueness.ToString()),
        };
        if (attribute.CanonicalValues is { } canonical)
        {
            json["canonicalValues"] = new JsonArray([.. canonical.Select(v => JsonValue.Create(v))]);
        }

        if (attribute.ReferenceTypes is { } references)
        {
            json["referenceTypes"] = new JsonArray([.. references.Select(v => JsonValue.Create(v))]);
        }

        if (attribute.SubAttributes.Count > 0)
        {
            json["subAttributes"] = new JsonArray([.. attribute.SubAttributes.Select(Attribute)]);
        }

        return json;
    }

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
