# Driftwatch: one image, `driftwatch serve` by default. Build: docker build -t driftwatch .
FROM node:20.20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
COPY package.json package-lock.json ./
COPY tools ./tools
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.base.json ./
RUN npm ci --no-audit --no-fund
COPY apps ./apps
COPY libs ./libs
COPY examples ./examples
# npm ci ran before the sources were here: compile them now (tools/build.mjs), so the CLI starts from JavaScript.
RUN node tools/build.mjs
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "apps/driftwatch/bin/driftwatch.js"]
CMD ["serve"]
