using System.Net;
using System.Net.Sockets;

namespace IdeaScale.E2E.AppHost;

/// <summary>
/// A TCP load balancer on a loopback port in front of app instances, as a deployment's proxy with sticky sessions
/// is: every connection goes to the current instance. <see cref="FailOverTo"/> plays that instance going away: open
/// connections are cut and new ones reach the other instance.
/// </summary>
public sealed class LoadBalancer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> open = [];
    private readonly Dictionary<int, int> connectionsPerBackend = [];
    private readonly Task accepting;
    private int backendPort;

    public LoadBalancer(Uri backend)
    {
        backendPort = backend.Port;
        listener.Start();
        accepting = AcceptAsync();
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>How many connections went to the instance at <paramref name="backend"/>.</summary>
    public int ConnectionsTo(Uri backend)
    {
        lock (open)
        {
            return connectionsPerBackend.GetValueOrDefault(backend.Port);
        }
    }

    /// <summary>The current instance goes away: its open connections are cut and new ones go to <paramref name="backend"/>.</summary>
    public void FailOverTo(Uri backend)
    {
        lock (open)
        {
            backendPort = backend.Port;
            foreach (var (client, upstream) in open)
            {
                client.Close();
                upstream.Close();
            }

            open.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        int port;
        lock (open)
        {
            port = backendPort;
            connectionsPerBackend[port] = connectionsPerBackend.GetValueOrDefault(port) + 1;
            open.Add((client, upstream));
        }

        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, port, stopping.Token);
            var down = client.GetStream();
            var up = upstream.GetStream();
            await Task.WhenAny(down.CopyToAsync(up, stopping.Token), up.CopyToAsync(down, stopping.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // A cut connection ends its copy; nothing to report.
        }
        finally
        {
            client.Close();
            upstream.Close();
            lock (open)
            {
                open.Remove((client, upstream));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        FailOverTo(new Uri("http://127.0.0.1:1"));
        await accepting;
        stopping.Dispose();
    }
}
