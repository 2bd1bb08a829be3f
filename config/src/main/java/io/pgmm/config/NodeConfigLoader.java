package io.pgmm.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a node's YAML configuration into a validated {@link NodeConfig}, or fails with a {@link ConfigException}
 * that names the field to fix. Unknown keys are errors (a typo must not pass silently); relative paths resolve
 * against the folder of the YAML file. The first problem found is reported.
 *
 * <p>Two steps: Jackson binds the YAML to the {@code Raw*} records below, whose fields are all optional (boxed, so
 * a missing key is {@code null}); then {@link #validate} applies defaults, checks ranges and builds the public
 * records. Jackson's exceptions are translated using {@link JsonMappingException#getPath()}.
 */
public final class NodeConfigLoader {

    private static final ObjectMapper MAPPER = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '([^']*)'");
    private static final Pattern OUT_OF_RANGE = Pattern.compile("Numeric value \\(([^)]*)\\) out of range of (int|long)");
    private static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    /** postgresql.conf settings pgmm derives from other fields; setting them under postgres.settings is an error. */
    private static final Map<String, String> OWNED_SETTINGS = Map.of(
            "port", "set postgres.port instead",
            "listen_addresses", "set postgres.host instead",
            "unix_socket_directories", "pgmm places the socket itself",
            "data_directory", "it is always <dataDir>/pgdata",
            "config_file", "pgmm writes the configuration itself",
            "hba_file", "pgmm writes pg_hba.conf itself (see postgres.trustLoopback)");

    private NodeConfigLoader() {
    }

    /** Reads and validates {@code yamlFile}; relative paths in it resolve against the file's folder. */
    public static NodeConfig load(Path yamlFile) throws ConfigException {
        Objects.requireNonNull(yamlFile, "yamlFile");
        Path absolute = yamlFile.toAbsolutePath().normalize();
        String yaml;
        try {
            yaml = Files.readString(absolute, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(ConfigException.DOCUMENT, "cannot read the configuration file " + absolute
                    + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        return parse(yaml, absolute.getParent());
    }

    /** Parses and validates {@code yaml}; relative paths in it resolve against {@code baseDir}. */
    public static NodeConfig parse(String yaml, Path baseDir) throws ConfigException {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(baseDir, "baseDir");
        RawNode raw;
        try {
            raw = MAPPER.readValue(yaml, RawNode.class);
        } catch (MismatchedInputException e) {
            if (!isEmptyDocument(e)) {
                throw translateMapping(e);
            }
            raw = null;
        } catch (JsonMappingException e) {
            throw translateMapping(e);
        } catch (StreamReadException e) {
            throw translateRead(e);
        } catch (JacksonException e) {
            throw new ConfigException(ConfigException.DOCUMENT, "cannot read the YAML: " + e.getOriginalMessage(), e);
        }
        if (raw == null) {
            raw = new RawNode(null, null, null, null, null, null, null, null, null);
        }
        return validate(raw, baseDir.toAbsolutePath().normalize());
    }

    // ---------------------------------------------------------------------------------------------------------
    // The YAML as Jackson binds it: every field optional.

    record RawNode(Integer nodeId, RawListen listen, String dataDir, RawPostgres postgres, RawTls tls,
                   RawClients clients, RawLimits limits, RawCluster cluster, RawReplication replication) {
    }

    record RawCluster(String peerHost, Integer peerPort, String secret, List<RawPeer> peers) {
    }

    record RawPeer(Integer nodeId, String host, Integer peerPort) {
    }

    record RawReplication(Integer applyWorkers, Integer applyQueueLength, String readConsistency,
                          Long prepareTimeoutMillis, Long applyLockTimeoutMillis, Integer maxNodes, String database) {
    }

    record RawListen(String host, Integer port) {
    }

    record RawPostgres(String mode, String host, Integer port, String user, String binDir, Boolean trustLoopback,
                       Map<String, String> settings) {
    }

    record RawTls(String certFile, String keyFile) {
    }

    record RawClients(List<String> allow) {
    }

    record RawLimits(Integer maxMessageBytes, Integer maxConnections, Long shutdownGraceMillis,
                     Integer startupTimeoutMillis) {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Defaults and checks.

    private static NodeConfig validate(RawNode raw, Path baseDir) throws ConfigException {
        if (raw.nodeId() == null) {
            throw new ConfigException("nodeId", "required; give this node's number in the cluster, 1 to " + NodeConfig.MAX_NODE_ID);
        }
        int nodeId = range("nodeId", raw.nodeId(), 1, NodeConfig.MAX_NODE_ID);
        if (raw.dataDir() == null || raw.dataDir().isBlank()) {
            throw new ConfigException("dataDir", "required; give the directory where this node keeps its state, such as /var/lib/pgmm/node" + nodeId);
        }
        Path dataDir = path("dataDir", raw.dataDir(), baseDir);

        RawListen rawListen = raw.listen() != null ? raw.listen() : new RawListen(null, null);
        String listenHost = host("listen.host", rawListen.host(), ListenConfig.DEFAULT_HOST);
        int listenPort = rawListen.port() == null ? ListenConfig.DEFAULT_PORT : port("listen.port", rawListen.port());
        ListenConfig listen = new ListenConfig(listenHost, listenPort);

        PostgresConfig postgres = postgres(raw.postgres(), listenPort, baseDir);
        TlsConfig tls = tls(raw.tls(), baseDir);
        ClientsConfig clients = clients(raw.clients());
        LimitsConfig limits = limits(raw.limits());
        ReplicationConfig replication = replication(raw.replication());
        ClusterConfig cluster = cluster(raw.cluster(), nodeId, listen, replication);
        return new NodeConfig(nodeId, listen, dataDir, postgres, tls, clients, limits, cluster, replication);
    }

    private static ClusterConfig cluster(RawCluster raw, int nodeId, ListenConfig listen, ReplicationConfig replication)
            throws ConfigException {
        if (raw == null) {
            return null;
        }
        String peerHost = host("cluster.peerHost", raw.peerHost(), listen.host());
        int peerPort;
        if (raw.peerPort() != null) {
            peerPort = port("cluster.peerPort", raw.peerPort());
        } else {
            peerPort = listen.port() + ClusterConfig.PEER_PORT_OFFSET;
            if (peerPort > 65535) {
                throw new ConfigException("cluster.peerPort", "required when listen.port + " + ClusterConfig.PEER_PORT_OFFSET
                        + " (the default) exceeds 65535");
            }
        }
        if (raw.secret() == null || raw.secret().strip().length() < ClusterConfig.MIN_SECRET_CHARS) {
            throw new ConfigException("cluster.secret", "required, at least " + ClusterConfig.MIN_SECRET_CHARS
                    + " characters, the same on every node; generate one with: openssl rand -hex 24");
        }
        if (raw.peers() == null || raw.peers().isEmpty()) {
            throw new ConfigException("cluster.peers", "list the other nodes as { nodeId: 2, host: 10.0.0.2, peerPort: 7433 },"
                    + " or remove cluster for a node on its own");
        }
        List<PeerConfig> peers = new ArrayList<>();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < raw.peers().size(); i++) {
            RawPeer p = raw.peers().get(i);
            String field = "cluster.peers[" + i + "]";
            if (p == null || p.nodeId() == null) {
                throw new ConfigException(field + ".nodeId", "required");
            }
            int id = range(field + ".nodeId", p.nodeId(), 1, NodeConfig.MAX_NODE_ID);
            if (id == nodeId) {
                throw new ConfigException(field + ".nodeId", "is this node's own id " + nodeId + "; list only the other nodes");
            }
            if (!seen.add(id)) {
                throw new ConfigException(field + ".nodeId", "node " + id + " is listed twice");
            }
            if (id > replication.maxNodes()) {
                throw new ConfigException(field + ".nodeId", "exceeds replication.maxNodes " + replication.maxNodes());
            }
            if (p.host() == null) {
                throw new ConfigException(field + ".host", "required");
            }
            if (p.peerPort() == null) {
                throw new ConfigException(field + ".peerPort", "required");
            }
            peers.add(new PeerConfig(id, host(field + ".host", p.host(), null), port(field + ".peerPort", p.peerPort())));
        }
        if (nodeId > replication.maxNodes()) {
            throw new ConfigException("nodeId", "exceeds replication.maxNodes " + replication.maxNodes());
        }
        return new ClusterConfig(peerHost, peerPort, raw.secret().strip(), peers);
    }

    private static ReplicationConfig replication(RawReplication raw) throws ConfigException {
        ReplicationConfig d = ReplicationConfig.defaults();
        if (raw == null) {
            return d;
        }
        ReadConsistency consistency = d.readConsistency();
        if (raw.readConsistency() != null) {
            try {
                consistency = ReadConsistency.valueOf(raw.readConsistency().strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("replication.readConsistency", "must be global or local, got '" + raw.readConsistency() + "'");
            }
        }
        return new ReplicationConfig(
                raw.applyWorkers() == null ? d.applyWorkers() : range("replication.applyWorkers", raw.applyWorkers(), 1, 256),
                raw.applyQueueLength() == null ? d.applyQueueLength() : range("replication.applyQueueLength", raw.applyQueueLength(), 1, 100_000),
                consistency,
                raw.prepareTimeoutMillis() == null ? d.prepareTimeoutMillis() : atLeast("replication.prepareTimeoutMillis", raw.prepareTimeoutMillis(), 100),
                raw.applyLockTimeoutMillis() == null ? d.applyLockTimeoutMillis() : atLeast("replication.applyLockTimeoutMillis", raw.applyLockTimeoutMillis(), 10),
                raw.maxNodes() == null ? d.maxNodes() : range("replication.maxNodes", raw.maxNodes(), 2, NodeConfig.MAX_NODE_ID),
                raw.database() == null || raw.database().isBlank() ? d.database() : raw.database().strip());
    }

    private static PostgresConfig postgres(RawPostgres raw, int listenPort, Path baseDir) throws ConfigException {
        if (raw == null) {
            raw = new RawPostgres(null, null, null, null, null, null, null);
        }
        PostgresMode mode = PostgresMode.MANAGED;
        if (raw.mode() != null) {
            try {
                mode = PostgresMode.valueOf(raw.mode().strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("postgres.mode", "must be managed or external, got '" + raw.mode() + "'");
            }
        }
        String host = host("postgres.host", raw.host(), PostgresConfig.DEFAULT_HOST);
        int port;
        if (raw.port() != null) {
            port = port("postgres.port", raw.port());
        } else if (mode == PostgresMode.EXTERNAL) {
            port = PostgresConfig.DEFAULT_EXTERNAL_PORT;
        } else {
            port = listenPort + PostgresConfig.MANAGED_PORT_OFFSET;
            if (port > 65535) {
                throw new ConfigException("postgres.port", "required when listen.port + " + PostgresConfig.MANAGED_PORT_OFFSET
                        + " (the default) exceeds 65535; listen.port is " + listenPort);
            }
        }
        String user = raw.user() == null ? PostgresConfig.DEFAULT_USER : raw.user().strip();
        if (user.isEmpty() || !user.matches("[A-Za-z_][A-Za-z0-9_$-]*")) {
            throw new ConfigException("postgres.user", "must be a plain role name (letters, digits, _ $ -), got '" + raw.user() + "'");
        }
        Path binDir = null;
        if (raw.binDir() != null) {
            if (mode != PostgresMode.MANAGED) {
                throw new ConfigException("postgres.binDir", "only used when postgres.mode is managed; remove it");
            }
            binDir = path("postgres.binDir", raw.binDir(), baseDir);
            if (!Files.isRegularFile(binDir.resolve("postgres")) || !Files.isRegularFile(binDir.resolve("initdb"))) {
                throw new ConfigException("postgres.binDir", binDir + " has no postgres and initdb; give the folder"
                        + " printed by `pg_config --bindir`, or remove the key to find one automatically");
            }
        }
        boolean trustLoopback = raw.trustLoopback() != null && raw.trustLoopback();
        if (raw.trustLoopback() != null && mode != PostgresMode.MANAGED) {
            throw new ConfigException("postgres.trustLoopback", "only used when postgres.mode is managed"
                    + " (pgmm does not write an external server's pg_hba.conf); remove it");
        }
        Map<String, String> settings = new TreeMap<>();
        if (raw.settings() != null && !raw.settings().isEmpty()) {
            if (mode != PostgresMode.MANAGED) {
                throw new ConfigException("postgres.settings", "only used when postgres.mode is managed"
                        + " (pgmm does not change an external server's configuration); remove it");
            }
            for (Map.Entry<String, String> e : raw.settings().entrySet()) {
                String name = e.getKey();
                String field = "postgres.settings." + name;
                if (!SETTING_NAME.matcher(name).matches()) {
                    throw new ConfigException(field, "is not a PostgreSQL setting name (letters, digits and _, such as work_mem)");
                }
                String owner = OWNED_SETTINGS.get(name.toLowerCase(Locale.ROOT));
                if (owner != null) {
                    throw new ConfigException(field, "is set by pgmm; " + owner);
                }
                String value = e.getValue();
                if (value == null) {
                    throw new ConfigException(field, "needs a value; remove the key to keep PostgreSQL's default");
                }
                if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                    throw new ConfigException(field, "must be on one line");
                }
                checkSettingValue(field, name.toLowerCase(Locale.ROOT), value.strip());
                settings.put(name, value.strip());
            }
        }
        return new PostgresConfig(mode, host, port, user, binDir, trustLoopback, settings);
    }

    private static void checkSettingValue(String field, String name, String value) throws ConfigException {
        switch (name) {
            case "wal_level" -> {
                if (!value.equalsIgnoreCase("logical")) {
                    throw new ConfigException(field, "must be logical, pgmm decodes the WAL; got '" + value + "'");
                }
            }
            case "max_prepared_transactions" -> {
                if (value.matches("\\d+") && value.length() < 10 && Integer.parseInt(value) < 1) {
                    throw new ConfigException(field, "must be at least 1, pgmm prepares every replicated transaction; got " + value);
                }
            }
            default -> {
            }
        }
    }

    private static TlsConfig tls(RawTls raw, Path baseDir) throws ConfigException {
        if (raw == null) {
            return null;
        }
        Path cert = readableFile("tls.certFile", raw.certFile(), baseDir, "the server certificate (PEM)");
        Path key = readableFile("tls.keyFile", raw.keyFile(), baseDir, "the server's private key (PEM)");
        return new TlsConfig(cert, key);
    }

    private static ClientsConfig clients(RawClients raw) throws ConfigException {
        if (raw == null || raw.allow() == null) {
            return ClientsConfig.defaults();
        }
        if (raw.allow().isEmpty()) {
            throw new ConfigException("clients.allow", "is empty, so no client could connect; list at least one block"
                    + " such as 127.0.0.0/8, or remove the key for the default (loopback only)");
        }
        List<String> allow = new ArrayList<>();
        List<CidrBlock> blocks = new ArrayList<>();
        for (int i = 0; i < raw.allow().size(); i++) {
            String entry = raw.allow().get(i);
            String field = "clients.allow[" + i + "]";
            if (entry == null || entry.isBlank()) {
                throw new ConfigException(field, "is empty; write an address or CIDR block such as 10.0.0.0/8");
            }
            try {
                blocks.add(CidrBlock.parse(entry));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(field, e.getMessage(), e);
            }
            allow.add(entry.strip());
        }
        return new ClientsConfig(allow, blocks);
    }

    private static LimitsConfig limits(RawLimits raw) throws ConfigException {
        LimitsConfig d = LimitsConfig.defaults();
        if (raw == null) {
            return d;
        }
        int maxMessageBytes = raw.maxMessageBytes() == null ? d.maxMessageBytes()
                : atLeast("limits.maxMessageBytes", raw.maxMessageBytes(), LimitsConfig.MIN_MAX_MESSAGE_BYTES);
        int maxConnections = raw.maxConnections() == null ? d.maxConnections()
                : atLeast("limits.maxConnections", raw.maxConnections(), 1);
        long shutdownGraceMillis = raw.shutdownGraceMillis() == null ? d.shutdownGraceMillis()
                : atLeast("limits.shutdownGraceMillis", raw.shutdownGraceMillis(), 0);
        int startupTimeoutMillis = raw.startupTimeoutMillis() == null ? d.startupTimeoutMillis()
                : atLeast("limits.startupTimeoutMillis", raw.startupTimeoutMillis(), 1000);
        return new LimitsConfig(maxMessageBytes, maxConnections, shutdownGraceMillis, startupTimeoutMillis);
    }

    private static int range(String field, int value, int min, int max) throws ConfigException {
        if (value < min || value > max) {
            throw new ConfigException(field, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private static int port(String field, int value) throws ConfigException {
        return range(field, value, 1, 65535);
    }

    private static int atLeast(String field, int value, int min) throws ConfigException {
        if (value < min) {
            throw new ConfigException(field, "must be at least " + min + ", got " + value);
        }
        return value;
    }

    private static long atLeast(String field, long value, long min) throws ConfigException {
        if (value < min) {
            throw new ConfigException(field, "must be at least " + min + ", got " + value);
        }
        return value;
    }

    private static String host(String field, String value, String defaultHost) throws ConfigException {
        if (value == null) {
            return defaultHost;
        }
        String host = value.strip();
        if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
            throw new ConfigException(field, "must be an address or host name such as 127.0.0.1, got '" + value + "'");
        }
        return host;
    }

    private static Path path(String field, String value, Path baseDir) throws ConfigException {
        String text = value.strip();
        if (text.startsWith("~")) {
            throw new ConfigException(field, "'~' is not expanded; write the full path instead of '" + value + "'");
        }
        try {
            return baseDir.resolve(text).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ConfigException(field, "is not a valid path: " + e.getMessage(), e);
        }
    }

    private static Path readableFile(String field, String value, Path baseDir, String what) throws ConfigException {
        if (value == null || value.isBlank()) {
            throw new ConfigException(field, "required when tls is present; give " + what + ", or remove tls to turn TLS off");
        }
        Path file = path(field, value, baseDir);
        if (!Files.exists(file)) {
            throw new ConfigException(field, file + " does not exist; give " + what);
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(field, file + " is not a regular file; give " + what);
        }
        if (!Files.isReadable(file)) {
            throw new ConfigException(field, file + " is not readable by this process; fix its permissions");
        }
        return file;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Jackson's exceptions, translated.

    private static ConfigException translateMapping(JsonMappingException e) {
        String field = fieldPath(e.getPath());
        if (e instanceof UnrecognizedPropertyException u) {
            String parent = fieldPath(e.getPath().subList(0, Math.max(0, e.getPath().size() - 1)));
            String key = u.getPropertyName();
            String unknown = parent.isEmpty() ? key : parent + "." + key;
            String suggestion = closest(key, u.getKnownPropertyIds());
            return new ConfigException(unknown, "unknown key"
                    + (suggestion != null ? "; did you mean " + suggestion + "?" : "")
                    + " The keys here are: " + String.join(", ", sorted(u.getKnownPropertyIds())), e);
        }
        if (field.isEmpty()) {
            field = ConfigException.DOCUMENT;
        }
        String original = String.valueOf(e.getOriginalMessage());
        if (e.getCause() instanceof StreamReadException cause) {
            return translateRead(cause);
        }
        if (original.startsWith("Trailing token")) {
            return new ConfigException(ConfigException.DOCUMENT, "holds more than one YAML document (---);"
                    + " keep only the first" + at(e.getLocation()), e);
        }
        if (e instanceof InvalidFormatException f) {
            return new ConfigException(field, "expected " + describe(f.getTargetType()) + ", got '" + f.getValue() + "'", e);
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            if (field.equals(ConfigException.DOCUMENT) && m.getTargetType() == RawNode.class) {
                return new ConfigException(field, "must be a mapping of keys such as nodeId: 1 and dataDir: /var/lib/pgmm"
                        + at(e.getLocation()), e);
            }
            return new ConfigException(field, "expected " + describe(m.getTargetType()) + at(e.getLocation()), e);
        }
        return new ConfigException(field, e.getOriginalMessage() + at(e.getLocation()), e);
    }

    private static ConfigException translateRead(StreamReadException e) {
        String problem = String.valueOf(e.getOriginalMessage());
        String field = ConfigException.DOCUMENT;
        JsonParser parser = e.getProcessor();
        if (parser != null && parser.getParsingContext() != null) {
            String path = contextPath(parser.getParsingContext());
            if (!path.isEmpty()) {
                field = path;
            }
        }
        Matcher duplicate = DUPLICATE.matcher(problem);
        if (duplicate.find()) {
            String key = duplicate.group(1);
            String parent = field.equals(ConfigException.DOCUMENT) ? "" : field;
            if (parent.equals(key) || parent.endsWith("." + key)) {
                parent = parent.substring(0, parent.length() - key.length());
                parent = parent.endsWith(".") ? parent.substring(0, parent.length() - 1) : parent;
            }
            return new ConfigException(parent.isEmpty() ? key : parent + "." + key, "given twice; keep one" + at(e.getLocation()), e);
        }
        Matcher range = OUT_OF_RANGE.matcher(problem);
        if (range.find()) {
            return new ConfigException(field, range.group(1) + " is too large for this field (at most "
                    + ("int".equals(range.group(2)) ? Integer.MAX_VALUE : Long.MAX_VALUE) + ")" + at(e.getLocation()), e);
        }
        String firstLine = problem.lines().findFirst().orElse(problem).strip();
        return new ConfigException(ConfigException.DOCUMENT, "not valid YAML: " + firstLine + at(e.getLocation()), e);
    }

    private static boolean isEmptyDocument(MismatchedInputException e) {
        return String.valueOf(e.getOriginalMessage()).startsWith("No content to map");
    }

    private static String fieldPath(List<JsonMappingException.Reference> path) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : path) {
            if (ref.getFieldName() != null) {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String contextPath(JsonStreamContext context) {
        List<String> parts = new ArrayList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) {
                parts.add(0, "." + c.getCurrentName());
            } else if (c.inArray()) {
                parts.add(0, "[" + Math.max(0, c.getCurrentIndex()) + "]");
            }
        }
        String joined = String.join("", parts);
        return joined.startsWith(".") ? joined.substring(1) : joined;
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "another kind of value";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a single value (text or number), not a list or mapping";
        }
        if (List.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type)) {
            return "a list, such as [a, b]";
        }
        return "a mapping of keys, such as { key: value }";
    }

    private static List<String> sorted(Collection<Object> ids) {
        return ids.stream().map(String::valueOf).sorted().toList();
    }

    private static String closest(String key, Collection<Object> known) {
        String best = null;
        int bestDistance = 3;
        for (Object id : known) {
            int d = distance(key.toLowerCase(Locale.ROOT), String.valueOf(id).toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = String.valueOf(id);
            }
        }
        return best;
    }

    /** Levenshtein distance, for "did you mean". */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    static Set<String> ownedSettings() {
        return OWNED_SETTINGS.keySet();
    }
}
