using System.Net;

using Microsoft.AspNetCore.HttpOverrides;

namespace IdeaScale.Portal.Security;

/// <summary>
/// Running behind a TLS-terminating reverse proxy. <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are taken from
/// the proxies listed in <c>ForwardedHeaders:KnownProxies</c> (IP addresses) and <c>ForwardedHeaders:KnownNetworks</c>
/// (CIDR ranges); when neither is set, only a proxy on loopback is trusted. A request the proxy received over HTTPS is
/// then HTTPS to the app: cookies get <c>Secure</c> (every cookie uses <see cref="CookieSecurePolicy.SameAsRequest"/>,
/// antiforgery included) and HSTS applies outside Development. <c>X-Forwarded-Host</c> is not honoured: the workspace
/// is chosen by host name, so the proxy must pass the original <c>Host</c> on.
/// </summary>
public static class ReverseProxySetup
{
    public const string Section = "ForwardedHeaders";

    public static WebApplicationBuilder AddReverseProxySupport(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            var section = configuration.GetSection(Section);
            var proxies = section.GetSection("KnownProxies").Get<string[]>() ?? [];
            var networks = section.GetSection("KnownNetworks").Get<string[]>() ?? [];
            if (proxies.Length == 0 && networks.Length == 0)
            {
                return; // ASP.NET Core's defaults: 127.0.0.0/8 and ::1.
            }

            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new InvalidOperationException($"{Section}:KnownProxies: '{proxy}' is not an IP address."));
            }

            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var range)
                    ? range
                    : throw new InvalidOperationException($"{Section}:KnownNetworks: '{network}' is not a CIDR range such as 10.0.0.0/8."));
            }
        });

        // The antiforgery cookie's default policy is None (never Secure); make it follow the request like the others.
        builder.Services.AddAntiforgery(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        return builder;
    }

    /// <summary>First in the pipeline, so everything after it (SCIM included) sees the client's scheme and address.</summary>
    public static WebApplication UseReverseProxySupport(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }
}
